import { isIP } from 'node:net';
import type { EgressPolicy } from './address-policy';
import { isLoopback } from './address-policy';
import { egressPolicy } from './egress-fetch';

/**
 * Whether `url` names one of `hosts` (`example.com`, or `*.example.com` for any host under it),
 * over https; a loopback address over http or https passes only where the egress guard allows
 * loopback (the local runtime, whose fakes stand in for the real hosts).
 */
export function urlOnHosts(
  url: string,
  hosts: readonly string[],
  policy: EgressPolicy = egressPolicy(),
): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(host)) return policy.allowLoopback && isLoopback(host);
  if (parsed.protocol !== 'https:' || parsed.port !== '') return false;
  return hosts.some((allowed) => {
    const pattern = allowed.toLowerCase();
    if (!pattern.startsWith('*.')) return host === pattern;
    const suffix = pattern.slice(1);
    return host.endsWith(suffix) && host.length > suffix.length;
  });
}
