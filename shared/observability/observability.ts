import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

import { METRICS_NAMESPACE, SERVICE_NAME } from './names';

/** Service name and metric namespace are set by POWERTOOLS_* variables; these are the defaults. */
const serviceName = SERVICE_NAME;

/** Shared across a function's invocations; handlers append tenant and correlation ids per request. */
export const logger = new Logger({ serviceName });
export const tracer = new Tracer({ serviceName });
export const metrics = new Metrics({ serviceName, namespace: METRICS_NAMESPACE });
