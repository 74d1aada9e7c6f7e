import type { OperationDoc } from '../../api/operation-doc';

/** PLACEHOLDER until this feature documents its operations (replaced by its owner). */
export const notificationPreferenceOperations = {
  getNotificationPreferences: { responses: { '200': { description: 'To be documented' } } },
  putNotificationPreferences: { responses: { '200': { description: 'To be documented' } } },
  listMailSuppressions: { responses: { '200': { description: 'To be documented' } } },
  deleteMailSuppression: { responses: { '200': { description: 'To be documented' } } },
  showUnsubscribe: { responses: { '200': { description: 'To be documented' } } },
  unsubscribe: { responses: { '200': { description: 'To be documented' } } },
} satisfies Record<string, OperationDoc>;
