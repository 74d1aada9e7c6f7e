import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { connect as netConnect } from 'node:net';
import { listenOnLoopback } from '../../../../lib/local/free-port';
import { egressConfig } from '../../../../shared/config/config';
import { ConfigurationError } from '../../../../shared/config/env';
import type { EgressPolicy, Resolver } from '../../../../shared/egress';
import {
  destinationRefusal,
  EgressRefusedError,
  guardedConnector,
  guardedLookup,
  makeEgressFetch,
  parseAllowedRange,
} from '../../../../shared/egress';

const strict: EgressPolicy = { allowLoopback: false, allowedRanges: [] };
const local: EgressPolicy = { allowLoopback: true, allowedRanges: [] };
const family = (address: string) => (address.includes(':') ? 6 : 4);
/** A resolver that answers every host with `addresses`. */
const resolvesTo = (...addresses: string[]) => {
  const resolver: Resolver = async () => addresses.map((address) => ({ address, family: family(address) }));
  return resolver;
};

interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
}
/** A loopback server that records what reached it and answers with `handle`. */
async function server(handle: (req: IncomingMessage, res: ServerResponse) => void = (_q, s) => s.end('ok')) {
  const seen: Recorded[] = [];
  const listening = await listenOnLoopback(
    createServer((req, res) => {
      seen.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization });
      req.resume();
      req.on('end', () => handle(req, res));
    }),
  );
  return { ...listening, port: new URL(listening.endpoint).port, seen };
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});
async function started(handle?: (req: IncomingMessage, res: ServerResponse) => void) {
  const s = await server(handle);
  stops.push(s.stop);
  return s;
}

describe('the egress guard refuses addresses that are not public', () => {
  const blocked = [
    ['loopback', '127.0.0.1'],
    ['loopback v6', '::1'],
    ['instance metadata (link-local)', '169.254.169.254'],
    ['link-local v6', 'fe80::1'],
    ['private 10/8', '10.1.2.3'],
    ['private 172.16/12', '172.20.0.1'],
    ['private 192.168/16', '192.168.1.1'],
    ['unique local v6 (fc00::/7)', 'fd00:ec2::254'],
    ['CGNAT 100.64/10', '100.64.0.1'],
    ['unspecified', '0.0.0.0'],
    ['unspecified v6', '::'],
    ['multicast', '224.0.0.1'],
    ['multicast v6', 'ff02::1'],
    ['broadcast', '255.255.255.255'],
    ['IPv4-mapped metadata', '::ffff:169.254.169.254'],
    ['IPv4-mapped private', '::ffff:10.0.0.1'],
    ['IPv4-mapped loopback', '::ffff:127.0.0.1'],
    ['IPv4-compatible metadata', '::169.254.169.254'],
    ['NAT64 of metadata', '64:ff9b::a9fe:a9fe'],
  ] as const;
  it.each(blocked)(
    'refuses a host that resolves to a %s address (%s), before connecting',
    async (_name, address) => {
      const fetch = makeEgressFetch({ policy: strict, resolve: resolvesTo(address) });
      await expect(fetch('https://provider.example/api')).rejects.toBeInstanceOf(EgressRefusedError);
    },
  );

  it('refuses a host with one public and one private address', async () => {
    const fetch = makeEgressFetch({ policy: strict, resolve: resolvesTo('93.184.215.14', '10.0.0.5') });
    await expect(fetch('https://provider.example/')).rejects.toThrow(/private address/);
  });

  it('refuses IP-literal hosts without a connection attempt, since no lookup happens for them', async () => {
    const attempts: string[] = [];
    const connector = guardedConnector(strict, {
      connect: (target, callback) => {
        attempts.push(target.hostname);
        callback(new Error('must not be reached'), null);
      },
    });
    for (const hostname of [
      '169.254.169.254',
      '10.1.2.3',
      '::ffff:169.254.169.254',
      'fd00:ec2::254',
      '127.0.0.1',
    ]) {
      const error = await new Promise<Error | null>((done) =>
        connector({ hostname, protocol: 'https:', port: '443' }, (...args) => done(args[0])),
      );
      expect(error).toBeInstanceOf(EgressRefusedError);
    }
    expect(attempts).toEqual([]);
  });

  it('checks the address actually connected to, whatever resolved it', async () => {
    const target = await started();
    // A connect that ignores the guarded lookup (as a rebinding or a hosts-file trick would) still ends at loopback.
    let socket: Socket | undefined;
    const connector = guardedConnector(strict, {
      connect: (_t, callback) => {
        socket = netConnect(Number(target.port), '127.0.0.1', () => callback(null, socket as Socket));
      },
    });
    const error = await new Promise<Error | null>((done) =>
      connector({ hostname: 'public.example', protocol: 'https:', port: target.port }, (...args) =>
        done(args[0]),
      ),
    );
    expect(error).toBeInstanceOf(EgressRefusedError);
    expect(socket?.destroyed).toBe(true);
  });

  it('refuses a rebinding host on the connect that uses the second answer', async () => {
    // Loopback stands in for the public address here: it is the only one a test may connect to.
    const target = await started((_req, res) => {
      res.writeHead(200, { connection: 'close' });
      res.end('first');
    });
    let calls = 0;
    const rebinding: Resolver = async () => {
      calls += 1;
      return [{ address: calls === 1 ? '127.0.0.1' : '169.254.169.254', family: 4 }];
    };
    const fetch = makeEgressFetch({ policy: local, resolve: rebinding });
    const url = `http://rebinding.example:${target.port}/`;
    expect(await (await fetch(url)).text()).toBe('first');
    await expect(fetch(url)).rejects.toThrow(/linkLocal address/);
    expect(calls).toBe(2);
    expect(target.seen).toHaveLength(1);
  });
});

describe('the egress guard outside the local runtime', () => {
  it('refuses plain http, and loopback over https, that the local runtime allows', async () => {
    const target = await started();
    const inAws = makeEgressFetch({ policy: strict, resolve: resolvesTo('127.0.0.1') });
    await expect(inAws(`http://fake.example:${target.port}/`)).rejects.toThrow(/https only/);
    await expect(inAws(`https://fake.example:${target.port}/`)).rejects.toThrow(/loopback address/);
    expect(target.seen).toEqual([]);

    const locally = makeEgressFetch({ policy: local, resolve: resolvesTo('127.0.0.1') });
    expect(await (await locally(`http://fake.example:${target.port}/`)).text()).toBe('ok');
  });

  it('refuses plain http to anything but loopback even in the local runtime', async () => {
    const connector = guardedConnector(local, {
      connect: (_t, callback) => callback(null, { remoteAddress: '93.184.215.14', destroy() {} } as Socket),
    });
    const error = await new Promise<Error | null>((done) =>
      connector({ hostname: 'public.example', protocol: 'http:', port: '80' }, (...args) => done(args[0])),
    );
    expect(error).toBeInstanceOf(EgressRefusedError);
  });

  it("admits IPv6 loopback where the runtime allows loopback, and never AWS's IPv6 metadata, whatever the operator opens", async () => {
    const lookUp = (policy: EgressPolicy, address: string) =>
      new Promise<Error | null>((done) =>
        guardedLookup(policy, resolvesTo(address))('host.example', {}, (error) => done(error)),
      );
    expect(await lookUp(local, '::1')).toBeNull();
    expect(await lookUp(strict, '::1')).toBeInstanceOf(EgressRefusedError);
    const vpc: EgressPolicy = { allowLoopback: false, allowedRanges: [parseAllowedRange('fd00::/8')] };
    expect(await lookUp(vpc, 'fd00:1::5')).toBeNull();
    expect(await lookUp(vpc, 'fd00:ec2::254')).toBeInstanceOf(EgressRefusedError);
    expect(await lookUp(vpc, 'fd00:ec2::253')).toBeInstanceOf(EgressRefusedError);
  });

  it('admits a private range the operator allowed, and nothing next to it', async () => {
    const policy: EgressPolicy = { allowLoopback: false, allowedRanges: [parseAllowedRange('10.20.0.0/16')] };
    const lookUp = (address: string) =>
      new Promise<Error | null>((done) =>
        guardedLookup(policy, resolvesTo(address))('ghes.corp.example', {}, (error) => done(error)),
      );
    expect(await lookUp('10.20.1.5')).toBeNull();
    expect(await lookUp('10.21.0.1')).toBeInstanceOf(EgressRefusedError);
    expect(await lookUp('169.254.169.254')).toBeInstanceOf(EgressRefusedError);
    // The connected address is checked against the same ranges.
    const connected = (remoteAddress: string) =>
      new Promise<Error | null>((done) =>
        guardedConnector(policy, {
          connect: (_t, callback) => callback(null, { remoteAddress, destroy() {} } as Socket),
        })({ hostname: 'ghes.corp.example', protocol: 'https:', port: '443' }, (...args) => done(args[0])),
      );
    expect(await connected('10.20.1.5')).toBeNull();
    expect(await connected('10.21.0.1')).toBeInstanceOf(EgressRefusedError);
  });
});

describe('redirects and time', () => {
  it('does not follow a redirect to another host (another port is another origin), nor send it the credentials', async () => {
    const other = await started();
    const first = await started((_req, res) => {
      res.writeHead(302, { location: `${other.endpoint}/steal` });
      res.end();
    });
    const fetch = makeEgressFetch({ policy: local });
    await expect(
      fetch(`${first.endpoint}/api`, { headers: { authorization: 'Bearer secret-token' } }),
    ).rejects.toThrow(/another host/);
    expect(first.seen).toHaveLength(1);
    expect(other.seen).toEqual([]);
  });

  it('follows a redirect on the same origin, a POST answered 303 as a GET', async () => {
    const target = await started((req, res) => {
      if (req.url === '/moved') {
        res.writeHead(303, { location: '/final' });
        return res.end();
      }
      res.end(`${req.method} ${req.url}`);
    });
    const fetch = makeEgressFetch({ policy: local });
    const response = await fetch(`${target.endpoint}/moved`, { method: 'POST', body: '{}' });
    expect(await response.text()).toBe('GET /final');
    expect(target.seen.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /moved', 'GET /final']);
  });

  it('stops after a few redirects', async () => {
    const target = await started((_req, res) => {
      res.writeHead(307, { location: '/again' });
      res.end();
    });
    await expect(makeEgressFetch({ policy: local })(`${target.endpoint}/`)).rejects.toThrow(/too many/);
    expect(target.seen).toHaveLength(4);
  });

  it('refuses an answer whose body is larger than it reads, declared or streamed', async () => {
    const declared = await started((_req, res) => {
      res.writeHead(200, { 'content-length': String(11 * 1024 * 1024) });
      res.write('x');
      setImmediate(() => res.destroy());
    });
    await expect(makeEgressFetch({ policy: local })(`${declared.endpoint}/`)).rejects.toThrow(
      /over \d+ bytes/,
    );
    const streamed = await started((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('y'.repeat(5000));
    });
    const answer = await makeEgressFetch({ policy: local, maxResponseBytes: 1000 })(`${streamed.endpoint}/`);
    await expect(answer.text()).rejects.toThrow();
    const small = await makeEgressFetch({ policy: local, maxResponseBytes: 5000 })(`${streamed.endpoint}/`);
    expect((await small.text()).length).toBe(5000);
  });

  it('ends a call the server never answers within its bound', async () => {
    const target = await started(() => undefined);
    const fetch = makeEgressFetch({ policy: local, timeoutMs: 200 });
    await expect(fetch(`${target.endpoint}/`)).rejects.toThrow(/abort|timeout/i);
  });
});

describe('URLs a tenant gives (base URLs, token URLs), checked when they are given', () => {
  it('refuses plain http outside the local runtime, and IP literals that are not public', () => {
    const operator: EgressPolicy = {
      allowLoopback: false,
      allowedRanges: [parseAllowedRange('10.20.0.0/16')],
    };
    expect(destinationRefusal('https://api.github.com', strict)).toBeUndefined();
    expect(destinationRefusal('http://api.github.com', strict)).toMatch(/https/);
    expect(destinationRefusal('https://169.254.169.254/latest/meta-data', strict)).toMatch(/linkLocal/);
    expect(destinationRefusal('https://[::ffff:10.0.0.1]/', strict)).toMatch(/private/);
    expect(destinationRefusal('https://127.0.0.1:9001/2018-06-01/runtime', strict)).toMatch(/loopback/);
    expect(destinationRefusal('https://10.20.1.1/api/v3', operator)).toBeUndefined();
    expect(destinationRefusal('https://10.30.1.1/api/v3', operator)).toMatch(/private/);
    expect(destinationRefusal('http://127.0.0.1:4010', local)).toBeUndefined();
    expect(destinationRefusal('http://10.0.0.1', local)).toMatch(/private/);
  });
});

describe('egress configuration', () => {
  it('reads loopback and the operator’s ranges, and fails the cold start naming a malformed value', () => {
    expect(egressConfig({})).toEqual({ allowLoopback: false, allowedRanges: [] });
    const config = egressConfig({
      EGRESS_ALLOW_LOOPBACK: 'true',
      EGRESS_ALLOWED_RANGES: '10.20.0.0/16, fd00:1::/48',
    });
    expect(config.allowLoopback).toBe(true);
    expect(config.allowedRanges.map(([n, b]) => `${n.toString()}/${b}`)).toEqual([
      '10.20.0.0/16',
      'fd00:1::/48',
    ]);
    for (const bad of ['10.20.0.0', '8.8.8.0/24', '0.0.0.0/0', '169.254.0.0/16', '127.0.0.0/8', 'nonsense']) {
      expect(() => egressConfig({ EGRESS_ALLOWED_RANGES: bad })).toThrow(ConfigurationError);
      expect(() => egressConfig({ EGRESS_ALLOWED_RANGES: bad })).toThrow(/EGRESS_ALLOWED_RANGES/);
    }
    expect(() => egressConfig({ EGRESS_ALLOW_LOOPBACK: 'yes' })).toThrow(/EGRESS_ALLOW_LOOPBACK/);
  });
});
