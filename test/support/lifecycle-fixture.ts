import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { localLifecycle } from '../../bin/local-shutdown';

/**
 * `npm start` in miniature, for the lifecycle test: a long-lived child stands in for DynamoDB
 * Local, stopping kills it; each line on stdin is logged, so a test can make it write.
 */
const lifecycle = localLifecycle();
const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore' });
const childExited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
lifecycle.stopOnEveryEnding(async () => {
  child.kill('SIGKILL');
  await childExited;
});
process.stderr.write(`child ${child.pid}\n`);
process.stderr.write(`self ${process.pid}\n`);
lifecycle.log('ready');
createInterface({ input: process.stdin }).on('line', (line) => lifecycle.log(line));
