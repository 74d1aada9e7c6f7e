import { Worker } from 'node:worker_threads';
import { Environment } from '../../../../lib/local/function-host';

/** A worker that loads for `loadMs`, then answers each event with it doubled after `workMs`. */
const worker = (loadMs: number, workMs: number) => () =>
  new Worker(
    `const { parentPort } = require('node:worker_threads');
     setTimeout(() => {
       parentPort.on('message', (m) => setTimeout(() => parentPort.postMessage({ id: m.id, result: m.event * 2 }), ${workMs}));
       parentPort.postMessage({ ready: true });
     }, ${loadMs});`,
    { eval: true },
  );

describe('a local execution environment killed and started again', () => {
  let env: Environment | undefined;
  afterEach(async () => {
    await env?.terminate();
  });

  it('hands an invocation that waited for a worker still loading to the next worker', async () => {
    env = new Environment('deliverNotifications', worker(300, 0));
    const answer = env.invoke(21);
    // Killed before it ever said it was ready: the invocation must not wait for it forever.
    expect(await env.restart()).toBe(0);
    await expect(answer).resolves.toBe(42);
  });

  it('runs the invocation that was in flight again on the new worker, once', async () => {
    let spawned = 0;
    const spawn = worker(0, 200);
    env = new Environment('deliverNotifications', () => {
      spawned++;
      return spawn();
    });
    await env.ready;
    const first = env.invoke(1);
    const second = env.invoke(2);
    await new Promise((r) => setTimeout(r, 50));
    expect(await env.restart()).toBe(1);
    await expect(first).resolves.toBe(2);
    await expect(second).resolves.toBe(4);
    expect(spawned).toBe(2);
  });

  it('fails what it holds when its worker exits on its own', async () => {
    env = new Environment(
      'deliverNotifications',
      () =>
        new Worker(
          `const { parentPort } = require('node:worker_threads');
           parentPort.on('message', () => process.exit(3));
           parentPort.postMessage({ ready: true });`,
          { eval: true },
        ),
    );
    await expect(env.invoke(1)).rejects.toThrow(/exited \(code 3\)/);
  });
});
