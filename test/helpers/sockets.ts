// Real TCP endpoints for the wasgi/socket and wasgi/selectors tests: wasgi listeners, plain Node
// peers, and cleanup of both after each test.

import net from 'node:net';
import { once } from 'node:events';
import { afterEach } from 'vitest';
import { Socket, socket } from '../../src/socket.js';

const open: { close(): void }[] = [];
export const peers: net.Socket[] = [];

/** Registers an afterEach hook in the calling file that closes everything tracked. */
export function useSockets(): void {
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
    for (const p of peers.splice(0)) p.destroy();
  });
}

/** Closes `s` after the test. */
export function track<T extends { close(): void }>(s: T): T {
  open.push(s);
  return s;
}

/** A wasgi socket listening on 127.0.0.1 and a free port. */
export async function listener(blocking = true): Promise<[Socket, number]> {
  const s = track(socket());
  s.bind(['127.0.0.1', 0]);
  await s.listen();
  if (!blocking) s.setblocking(false);
  return [s, s.getsockname()[1]];
}

/** A plain Node client (the other end, independent of wasgi). */
export async function peer(port: number): Promise<net.Socket> {
  const p = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  peers.push(p);
  await once(p, 'connect');
  return p;
}
