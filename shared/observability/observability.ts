import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/** Service name and metric namespace are set by POWERTOOLS_* variables; these are the defaults. */
const serviceName = 'integration-hub';

/** Shared across a function's invocations; handlers append tenant and correlation ids per request. */
export const logger = new Logger({ serviceName });
export const tracer = new Tracer({ serviceName });
export const metrics = new Metrics({ serviceName, namespace: 'IntegrationHub' });
