import { Agent, request } from 'node:http';
import type { FunctionHost } from '../../../../lib/local/function-host';
import { HttpGateway } from '../../../../lib/local/http-gateway';

/** A kept-alive request: the connection stays open after its answer, as fetch's pool keeps it. */
function get(port: number, path: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the local gateway closing', () => {
  it('ends a kept-alive connection as soon as the answer in flight is sent, not after the keep-alive timeout', async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((r) => {
      release = r;
    });
    let arrive: () => void = () => undefined;
    const arrived = new Promise<void>((r) => {
      arrive = r;
    });
    const gateway = new HttpGateway({} as FunctionHost, [
      {
        method: 'GET',
        path: '/_local/slow',
        handle: async (_req, res) => {
          arrive();
          await released;
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('done');
        },
      },
    ]);
    const port = await gateway.listen(0);
    const agent = new Agent({ keepAlive: true });
    const answer = get(port, '/_local/slow', agent);
    await arrived;
    const started = Date.now();
    const closed = gateway.close();
    release();
    await expect(answer).resolves.toBe(200);
    await closed;
    // The keep-alive timeout is 30 s; the close follows the answer within a moment.
    expect(Date.now() - started).toBeLessThan(3_000);
    agent.destroy();
  });
});
