import type { LookupAddress } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { buildConnector } from 'undici';
import type { EgressPolicy } from './address-policy';
import { isLoopback, refusalOf } from './address-policy';
import { EgressRefusedError } from './egress-refused-error';

/** Every address a host name resolves to (tests inject one; production asks the system resolver). */
export type Resolver = (hostname: string) => Promise<readonly LookupAddress[]>;

export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

const refused = (host: string, reason: string) =>
  new EgressRefusedError(
    `Refused to connect to ${host}: it resolves to a ${reason} address, and the hub calls public addresses only`,
  );

type LookupCallback = (error: Error | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for net/tls.connect: resolves every address of the host and refuses the connection when
 * any of them is not allowed (a host with one public and one private address could be steered to
 * the private one). It runs on each connect, so the address checked is the one connected to.
 */
export function guardedLookup(policy: EgressPolicy, resolve: Resolver) {
  return (
    hostname: string,
    options: { all?: boolean; family?: number | string },
    callback: LookupCallback,
  ) => {
    resolve(hostname).then(
      (addresses) => {
        if (addresses.length === 0) return callback(refused(hostname, 'unresolvable'), []);
        for (const each of addresses) {
          const reason = refusalOf(each.address, policy);
          if (reason) return callback(refused(hostname, reason), []);
        }
        const family = Number(options.family) || 0;
        const usable = family ? addresses.filter((a) => a.family === family) : [...addresses];
        const first = usable[0];
        if (!first) return callback(refused(hostname, `no IPv${family}`), []);
        if (options.all) return callback(null, usable);
        callback(null, first.address, first.family);
      },
      (error: Error) => callback(error, []),
    );
  };
}

/**
 * An undici connector that refuses, before any packet is sent, an IP-literal host that is not
 * allowed and plain http outside the local runtime; connects through `guardedLookup`; and checks
 * the socket's remote address once connected, whatever resolved it.
 */
export function guardedConnector(
  policy: EgressPolicy,
  options: { resolve?: Resolver; connectTimeoutMs?: number; connect?: buildConnector.connector } = {},
): buildConnector.connector {
  const connect =
    options.connect ??
    buildConnector({
      timeout: options.connectTimeoutMs ?? 5_000,
      lookup: guardedLookup(policy, options.resolve ?? systemResolver) as never,
    });
  return (target, callback) => {
    const plain = target.protocol !== 'https:';
    if (plain && !policy.allowLoopback)
      return callback(
        new EgressRefusedError(`Refused plain http to ${target.hostname}: the hub calls https only`),
        null,
      );
    if (isIP(target.hostname)) {
      const reason = refusalOf(target.hostname, policy);
      if (reason) return callback(refused(target.hostname, reason), null);
    }
    connect(target, (error, socket) => {
      if (error || !socket) return callback(error ?? new Error('no socket'), null);
      const remote = socket.remoteAddress ?? '';
      const reason =
        refusalOf(remote, policy) ?? (plain && !isLoopback(remote) ? 'non-loopback (plain http)' : undefined);
      if (reason) {
        socket.destroy();
        return callback(refused(target.hostname, reason), null);
      }
      callback(null, socket);
    });
  };
}
