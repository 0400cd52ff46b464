import { BlockList, isIP } from 'node:net';
import type { Context, Middleware } from 'koa';
import { stateOf } from '../route';

/** `::ffff:10.0.0.1` (an IPv4 client on a dual-stack socket) → `10.0.0.1`. */
function plain(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

function blockListOf(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return list;
}

/**
 * The client's address as rate limits and the failed-authentication throttle see it. The socket's peer
 * counts, unless it is one of TRUSTED_PROXIES: then X-Forwarded-For is walked from the right (the hop the
 * proxy itself added) past every trusted proxy, and the first address that is not one is the client.
 * Without TRUSTED_PROXIES the header is ignored: anyone could write it.
 */
export function clientAddressOf(
  trustedProxies: readonly string[],
): (socketAddress: string, forwardedFor: string) => string {
  const trusted = blockListOf(trustedProxies);
  const isTrusted = (address: string): boolean => {
    const family = isIP(address);
    return family !== 0 && trusted.check(address, family === 6 ? 'ipv6' : 'ipv4');
  };
  return (socketAddress, forwardedFor) => {
    let client = plain(socketAddress);
    if (trustedProxies.length === 0 || !isTrusted(client) || forwardedFor === '') return client;
    const hops = forwardedFor.split(',').map((hop) => plain(hop.trim()));
    for (let i = hops.length - 1; i >= 0; i -= 1) {
      const hop = hops[i] ?? '';
      // A malformed entry ends the walk: the last proxy that wrote a valid one is as far as we can trust.
      if (isIP(hop) === 0) break;
      client = hop;
      if (!isTrusted(hop)) break;
    }
    return client;
  };
}

/** Puts the client's address on ctx.state.clientAddress for every later middleware. */
export function clientAddress(trustedProxies: readonly string[]): Middleware {
  const resolve = clientAddressOf(trustedProxies);
  return async (ctx: Context, next) => {
    stateOf(ctx).clientAddress = resolve(ctx.socket.remoteAddress ?? '', ctx.get('X-Forwarded-For'));
    await next();
  };
}
