// What a trusted proxy says about the request it forwards: X-Forwarded-For names the client
// (REMOTE_ADDR), X-Forwarded-Proto the scheme. Only addresses are believed as hops: anything else
// in the list is dropped, so REMOTE_ADDR is always an IP address (or the peer's own).

import net from 'node:net';
import type { ErrorLog } from '../src/errors.js';
import type { Environ } from '../src/types.js';

/** "[v6]:port" and "v4:port" forms, as proxies write hops with their ports. */
const WITH_PORT = /^\[([^\]]*)\](?::\d+)?$|^(\d+\.\d+\.\d+\.\d+):\d+$/;

/** How much of a rejected hop the debug message quotes. */
const QUOTED_HOP = 100;

/** A hop of X-Forwarded-For as an IP address without its port; null when it is none. */
export function hopAddress(hop: string): string | null {
  const trimmed = hop.trim();
  const match = WITH_PORT.exec(trimmed);
  const address = match === null ? trimmed : match[1] ?? match[2];
  return net.isIP(address) !== 0 ? address : null;
}

/**
 * A trusted proxy's X-Forwarded-For sets REMOTE_ADDR: the last hop that is not itself a trusted
 * proxy (the first when all are); hops that are not IP addresses are ignored, with a debug line
 * on `log`. Its X-Forwarded-Proto (http or https) sets wsgi.url_scheme.
 */
export function applyForwarded(environ: Environ, proxies: TrustedProxies, log: ErrorLog): void {
  const forwardedFor = environ.HTTP_X_FORWARDED_FOR;
  if (typeof forwardedFor === 'string') {
    const hops: string[] = [];
    for (const hop of forwardedFor.split(',')) {
      const address = hopAddress(hop);
      if (address !== null) hops.push(address);
      else if (hop.trim() !== '' && log.enabled('debug')) {
        log.log('debug', `${environ.REMOTE_ADDR}: ignored an X-Forwarded-For hop that is not an IP address: ${JSON.stringify(hop.trim().slice(0, QUOTED_HOP))}`);
      }
    }
    let client = hops[0];
    for (let i = hops.length - 1; i >= 0; i--) {
      if (!proxies.trusts(hops[i])) {
        client = hops[i];
        break;
      }
    }
    if (client !== undefined) environ.REMOTE_ADDR = client;
  }
  const proto = environ.HTTP_X_FORWARDED_PROTO;
  if (typeof proto === 'string') {
    const scheme = proto.slice(proto.lastIndexOf(',') + 1).trim().toLowerCase();
    if (scheme === 'https' || scheme === 'http') environ['wsgi.url_scheme'] = scheme;
  }
}

/** Answers remembered per address (peers are few: a proxy or a handful); past this many, forgotten. */
const REMEMBERED = 1024;

/** Which peers' X-Forwarded-For and X-Forwarded-Proto are believed. */
export class TrustedProxies {
  private readonly everyone: boolean = false;
  private readonly list = new net.BlockList();
  /** The answer for each address seen: a BlockList check makes a SocketAddress each time. */
  private readonly answers = new Map<string, boolean>();

  /** `spec`: "*", or addresses and networks (a.b.c.d/n, v6/n) separated by commas. */
  constructor(spec: string | readonly string[]) {
    const entries = (typeof spec === 'string' ? spec.split(',') : spec).map((e) => e.trim()).filter((e) => e !== '');
    for (const entry of entries) {
      if (entry === '*') {
        this.everyone = true;
        continue;
      }
      const [address, bits, extra] = entry.split('/');
      const family = net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : null;
      const prefix = Number(bits);
      if (family === null || extra !== undefined ||
        (bits !== undefined && !(/^\d+$/.test(bits) && prefix <= (family === 'ipv4' ? 32 : 128)))) {
        throw new RangeError(`"${entry}" is not an IP address or network`);
      }
      if (bits === undefined) this.list.addAddress(address, family);
      else this.list.addSubnet(address, prefix, family);
    }
  }

  /** True for a trusted address; a Unix socket's peer (no address) is trusted, as in gunicorn. */
  trusts(address: string): boolean {
    if (address === '' || this.everyone) return true;
    let answer = this.answers.get(address);
    if (answer === undefined) {
      const a = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] ?? address;
      const family = net.isIPv4(a) ? 'ipv4' : net.isIPv6(a) ? 'ipv6' : null;
      answer = family !== null && this.list.check(a, family);
      if (this.answers.size >= REMEMBERED) this.answers.clear();
      this.answers.set(address, answer);
    }
    return answer;
  }
}
