/**
 * Every infrastructure spec against one synthesis of the app (`synthesized.ts`): a synthesis is
 * the costly part, so the specs share it instead of each synthesizing its own.
 */
import './stacks.spec';
import './claims-bucket.spec';
import './identity.spec';
import './realtime.spec';
import './retention-and-traces.spec';
import './tenant-isolation.spec';
