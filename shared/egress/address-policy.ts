import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** Where outbound calls may go, beyond public unicast addresses. */
export interface EgressPolicy {
  /** Loopback, and plain http to it, is reachable: set by the local runtime (its fakes live there), never by a connection. */
  readonly allowLoopback: boolean;
  /** Private ranges the operator named (a GitHub Enterprise Server inside the customer's VPC). */
  readonly allowedRanges: readonly (readonly [Address, number])[];
}

/** The classes an operator's range may open; link-local (instance metadata), loopback and the rest stay shut. */
const OPERATOR_OPENABLE = new Set<string>(['private', 'uniqueLocal', 'carrierGradeNat']);
/** `::a.b.c.d` (IPv4-compatible, deprecated): ipaddr.js calls it unicast, but it names an IPv4 host. */
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');
/**
 * AWS's IPv6 instance metadata and DNS (`fd00:ec2::254`, `fd00:ec2::253`): inside fc00::/7, which
 * an operator may open for a VPC, yet never reachable, whatever the operator allows.
 */
const AWS_IPV6_SERVICES = ipaddr.parseCIDR('fd00:ec2::/64');

/** The address as the hub classifies it: IPv4-mapped IPv6 (`::ffff:169.254.169.254`) as the IPv4 it maps. */
function parse(address: string): Address | undefined {
  try {
    return ipaddr.process(address.replace(/^\[|\]$/g, ''));
  } catch {
    return undefined;
  }
}

/**
 * Why a connection to `address` is refused (`loopback`, `linkLocal`, `private`, ...), or undefined
 * when it may be made: a public unicast address, loopback where the runtime allows it, or an
 * address in a range the operator allowed.
 */
export function refusalOf(address: string, policy: EgressPolicy): string | undefined {
  const ip = parse(address);
  if (!ip) return 'unparsable';
  const range = ip.range();
  // `::1` lies inside ::/96 too: loopback is decided first.
  if (range === 'loopback' && policy.allowLoopback) return undefined;
  if (ip.kind() === 'ipv6' && ip.match(IPV4_COMPATIBLE))
    return range === 'loopback' ? range : 'ipv4Compatible';
  if (ip.kind() === 'ipv6' && ip.match(AWS_IPV6_SERVICES)) return 'awsServices';
  if (range === 'unicast') return undefined;
  if (
    OPERATOR_OPENABLE.has(range) &&
    policy.allowedRanges.some(([network, bits]) => network.kind() === ip.kind() && ip.match(network, bits))
  )
    return undefined;
  return range;
}

/** True for 127/8 and ::1 (also IPv4-mapped). */
export function isLoopback(address: string): boolean {
  return parse(address)?.range() === 'loopback';
}

/**
 * Parses an operator's range (`10.20.0.0/16`, `fd00:1::/48`); throws with the reason when it is not
 * a CIDR range inside one private class (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7).
 */
export function parseAllowedRange(text: string): readonly [Address, number] {
  const cidr = text.trim();
  if (!ipaddr.isValidCIDR(cidr)) throw new Error(`"${cidr}" is not a CIDR range`);
  const [network, bits] = ipaddr.parseCIDR(cidr);
  const v4 = network.kind() === 'ipv4';
  const first = v4 ? ipaddr.IPv4.networkAddressFromCIDR(cidr) : ipaddr.IPv6.networkAddressFromCIDR(cidr);
  const last = v4 ? ipaddr.IPv4.broadcastAddressFromCIDR(cidr) : ipaddr.IPv6.broadcastAddressFromCIDR(cidr);
  if (first.range() !== last.range() || !OPERATOR_OPENABLE.has(first.range()))
    throw new Error(
      `"${cidr}" is not inside one private range (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7)`,
    );
  return [first, bits];
}
