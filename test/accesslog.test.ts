// The access log over real sockets: a trusted proxy's X-Forwarded-For sets REMOTE_ADDR only with
// IP addresses, every field of a line is escaped, and the requests the server answers itself
// (malformed, over a limit, too slow, no room) are logged once each, with '-' for what is unknown.

import { describe, expect, it } from 'vitest';
import type { AccessRecord, Application } from '../index.js';
import { compileFormat, COMBINED_FORMAT } from '../host/accesslog.js';
import { exchange, RawClient, sleep } from './helpers/net.js';
import { eventually, start, useServers } from './helpers/server.js';

useServers();

const combined = compileFormat(COMBINED_FORMAT);
const TIME = String.raw`\[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\]`;

/** Answers with the REMOTE_ADDR it was given. */
const whoAmI: Application = (environ, startResponse) => {
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return [environ.REMOTE_ADDR];
};

/** An accessLog option that keeps the records and their combined-format lines. */
function accessLog(): { records: AccessRecord[]; lines: string[]; accessLog: (record: AccessRecord) => void } {
  const records: AccessRecord[] = [];
  const lines: string[] = [];
  return { records, lines, accessLog: (record) => { records.push(record); lines.push(combined(record)); } };
}

async function remoteAddr(port: number, forwardedFor: string): Promise<string> {
  const { responses } = await exchange(port, `GET /who HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: ${forwardedFor}\r\nConnection: close\r\n\r\n`, { untilClose: true });
  expect(responses[0]?.status).toBe(200);
  return responses[0].text;
}

const FORGED = '6.6.6.6 - admin [01/Jan/2020] "GET /forged';

describe('X-Forwarded-For from a trusted peer', () => {
  it('ignores hops that are not IP addresses (logged at debug), so REMOTE_ADDR and the host field stay addresses', async () => {
    const log = accessLog();
    const running = await start(whoAmI, { accessLog: log.accessLog, logLevel: 'debug' });
    expect(await remoteAddr(running.port, FORGED)).toBe('127.0.0.1');
    expect(log.lines[0]).toMatch(new RegExp(String.raw`^127\.0\.0\.1 - - ${TIME} "GET /who HTTP/1\.1" 200 9 "-" "-"$`));
    expect(running.log()).toMatch(/\[debug\] 127\.0\.0\.1: ignored an X-Forwarded-For hop that is not an IP address: "6\.6\.6\.6 - admin \[01\/Jan\/2020\] \\"GET \/forged"/);
    // A forged hop after a real one does not hide it.
    expect(await remoteAddr(running.port, `203.0.113.9, ${FORGED}`)).toBe('203.0.113.9');
    expect(log.lines[1]).toMatch(new RegExp(String.raw`^203\.0\.113\.9 - - ${TIME} "GET /who HTTP/1\.1" 200 11 "-" "-"$`));
  });

  it('takes the last untrusted address of a hop list, ports and brackets stripped, stepping over hops that are not addresses', async () => {
    const log = accessLog();
    const running = await start(whoAmI, { accessLog: log.accessLog });
    expect(await remoteAddr(running.port, '198.51.100.7, [2001:db8::1]:443, 127.0.0.1')).toBe('2001:db8::1');
    expect(await remoteAddr(running.port, '198.51.100.7, 192.0.2.44:8080')).toBe('192.0.2.44');
    expect(await remoteAddr(running.port, `198.51.100.7:80, ${FORGED}, 127.0.0.1`)).toBe('198.51.100.7');
    expect(log.lines.map((line) => line.split(' ')[0])).toEqual(['2001:db8::1', '192.0.2.44', '198.51.100.7']);
    expect(running.log()).toBe('');
  });
});

describe('requests the server answers itself', () => {
  const LIMITS = { limitRequestLine: 64, limitRequestFields: 4, maxBodySize: 16, headerTimeout: 0.3 };
  const cases: [string, string, number][] = [
    ['a malformed request line', 'BAD\r\n\r\n', 400],
    ['a request line over limitRequestLine', `GET /${'a'.repeat(100)} HTTP/1.1\r\nHost: a\r\n\r\n`, 414],
    ['more fields than limitRequestFields', `GET / HTTP/1.1\r\nHost: a\r\n${'X-A: 1\r\n'.repeat(5)}\r\n`, 431],
    ['a Content-Length over maxBodySize', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n', 413],
    ['an unknown transfer coding', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n', 501],
    ['HTTP/2.0', 'GET / HTTP/2.0\r\nHost: a\r\n\r\n', 505],
    ['a head not whole within headerTimeout', 'GET / HTTP/1.1\r\nHost', 408],
  ];

  it.each(cases)('logs %s once, with its status and bytes and "-" for the request it could not read', async (what, bytes, status) => {
    const log = accessLog();
    const running = await start(whoAmI, { ...LIMITS, accessLog: log.accessLog });
    const { responses } = await exchange(running.port, bytes, { untilClose: true });
    expect(responses[0]?.status).toBe(status);
    await eventually(() => log.records.length > 0, `the record of ${what}`);
    expect(log.records.map((r) => [r.status, r.rejected])).toEqual([[status, true]]);
    expect(log.lines[0]).toMatch(new RegExp(String.raw`^127\.0\.0\.1 - - ${TIME} "-" ${status} ${responses[0].body.length} "-" "-"$`));
    // The server goes on serving, and logging, as before; the rejection was logged once.
    await exchange(running.port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', { untilClose: true });
    await eventually(() => log.records.length > 1, 'the record of the next request');
    expect(log.records.map((r) => [r.status, r.rejected])).toEqual([[status, true], [200, false]]);
  });

  it('logs the 503 to a newcomer when maxConnections and the backlog are full', async () => {
    const log = accessLog();
    const running = await start(whoAmI, { maxConnections: 1, backlog: 1, accessLog: log.accessLog, logLevel: 'error' });
    // The holder is sending a head (busy, so it is not closed to make room); the waiter waits.
    const holder = await RawClient.connect(running.port);
    await holder.write('GET / HTTP/1.1\r\n');
    await sleep(50);
    const waiter = await RawClient.connect(running.port);
    await sleep(50);
    const { responses } = await exchange(running.port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', { untilClose: true });
    expect(responses[0]?.status).toBe(503);
    await eventually(() => log.records.length > 0, 'the record of the 503');
    expect(log.lines).toEqual([expect.stringMatching(new RegExp(String.raw`^127\.0\.0\.1 - - ${TIME} "-" 503 ${responses[0].body.length} "-" "-"$`))]);
    // Once the slot is free again, the waiting connection is served: one more record, a 200.
    holder.destroy();
    await waiter.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    expect((await waiter.next(1))[0]?.status).toBe(200);
    await eventually(() => log.records.length > 1, 'the record of the 200');
    expect(log.records.map((r) => r.status)).toEqual([503, 200]);
  });
});
