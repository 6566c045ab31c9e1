// Which peers are trusted proxies: the answer for each address is remembered, and stays the
// answer the network list gives, for more addresses than are remembered too.

import { expect, it } from 'vitest';
import { TrustedProxies } from '../host/forwarded.js';

it('trusts the listed addresses and networks, v4-mapped v6 as v4, and a Unix peer', () => {
  const proxies = new TrustedProxies('127.0.0.1, 10.0.0.0/8, fd00::/8');
  for (let round = 0; round < 2; round++) {
    expect(proxies.trusts('127.0.0.1')).toBe(true);
    expect(proxies.trusts('::ffff:127.0.0.1')).toBe(true);
    expect(proxies.trusts('10.20.30.40')).toBe(true);
    expect(proxies.trusts('fd12::1')).toBe(true);
    expect(proxies.trusts('127.0.0.2')).toBe(false);
    expect(proxies.trusts('192.0.2.1')).toBe(false);
    expect(proxies.trusts('::1')).toBe(false);
    expect(proxies.trusts('not an address')).toBe(false);
    expect(proxies.trusts('')).toBe(true);
  }
});

it('keeps answering right past the addresses it remembers', () => {
  const proxies = new TrustedProxies('10.0.0.0/8');
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 3000; i++) {
      expect(proxies.trusts(`10.0.${i >> 8}.${i & 255}`)).toBe(true);
      expect(proxies.trusts(`11.0.${i >> 8}.${i & 255}`)).toBe(false);
    }
  }
});
