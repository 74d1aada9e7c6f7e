import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import type { Context } from 'aws-lambda';
import type { FunctionSpec } from '../../shared/topology';
import { errorInfo } from './function-host';
import { localNames } from './local-names';

/** One Lambda execution environment: its own module graph, one invocation at a time. */
type Handler = (event: unknown, context: Context) => Promise<unknown>;
const { name, entryPath, spec } = workerData as { name: string; entryPath: string; spec: FunctionSpec };
const port = parentPort;
if (!port) throw new Error('function-worker runs only as a worker thread');

try {
  const mod = (await import(pathToFileURL(entryPath).href)) as { handler?: Handler };
  const handler = mod.handler;
  if (typeof handler !== 'function') throw new Error(`${spec.entry} exports no handler`);
  port.on('message', async (message: { id: number; event: unknown }) => {
    try {
      const result = await handler(message.event, lambdaContext());
      port.postMessage({ id: message.id, result });
    } catch (error) {
      port.postMessage({ id: message.id, error: errorInfo(error) });
    }
  });
  port.postMessage({ ready: true });
} catch (error) {
  const e = error as Error;
  port.postMessage({ initError: { name: e.name, message: e.message, stack: e.stack } });
}

function lambdaContext(): Context {
  const deadline = Date.now() + spec.timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `hub-${name}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${localNames.region}:${localNames.account}:function:hub-${name}`,
    memoryLimitInMB: String(spec.memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/hub-${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
