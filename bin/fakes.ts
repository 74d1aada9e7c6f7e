import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { FAKES } from '../test/fakes/catalog';

/**
 * `npm run fakes`: the loopback fakes of the providers on their own, for trying the hub's
 * connections by hand on one machine. Prints what to give the hub; Ctrl-C stops them.
 */
const dataDir = resolve(process.env.HUB_DATA_DIR ?? '.hub-data', 'fakes');
mkdirSync(dataDir, { recursive: true });
// Fixed ports by default (FAKE_<ID>_PORT to change one), so the URLs given to the hub stay right
// across restarts; 0 picks free ones.
const portOf = (id: string, fallback: number) =>
  Number(process.env[`FAKE_${id.toUpperCase().replace(/-/g, '_')}_PORT`] ?? fallback);
const started = await Promise.all(
  FAKES.map((fake) => fake.start({ port: portOf(fake.id, fake.port), dataDir })),
);

process.stdout.write(
  [
    'With the hub running (npm start), for example (then tell each fake where its webhooks go: the',
    "connection's webhookUrl on the hub, and its secret):",
    ...started.flatMap((fake) => fake.lines),
    '  npx hub mappings create <orgId> --tracker-connection <con_…> --project WEB --code-host-connection <con_…> --repository acme/web',
    '[fakes] ready',
    '',
  ].join('\n'),
);

const stop = async () => {
  await Promise.all(started.map((fake) => fake.stop()));
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
