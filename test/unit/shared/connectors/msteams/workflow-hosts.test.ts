import { urlOnHosts } from '../../../../../shared/egress/url-hosts';
import { ValidationError } from '../../../../../shared/errors';
import { PROVIDERS } from '../../../../../shared/providers';

const workflow = (url: string) =>
  ({ kind: 'teams_workflow_webhook', url }) as Parameters<typeof PROVIDERS.checkCredentials>[1];
const inAws = { allowLoopback: false, allowedRanges: [] } as never;
const onOneMachine = { allowLoopback: true, allowedRanges: [] } as never;

describe('a Teams Workflows webhook URL', () => {
  it.each([
    'https://prod-23.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=x',
    'https://prod-01.usgovvirginia.logic.azure.us/workflows/abc/triggers/manual/paths/invoke?sig=x',
    'https://default0a1b.2c.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/abc/triggers/manual/paths/invoke?sig=x',
  ])('is taken on a Workflows host: %s', (url) => {
    expect(() => PROVIDERS.checkCredentials('msteams', workflow(url))).not.toThrow();
  });

  it.each([
    'https://attacker.example/workflows/abc',
    'https://logic.azure.com.attacker.example/workflows/abc',
    'https://evil-logic.azure.com/workflows/abc',
    'https://acme.webhook.office.com/webhookb2/abc',
    'https://prod-23.westeurope.logic.azure.com:8443/workflows/abc',
  ])('is refused with a 400 naming the field on any other host: %s', (url) => {
    let thrown: unknown;
    try {
      PROVIDERS.checkCredentials('msteams', workflow(url));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    expect((thrown as ValidationError).status).toBe(400);
    expect((thrown as ValidationError).message).toMatch(/url must be a URL on \*\.logic\.azure\.com/);
  });

  it('takes a loopback fake only where the egress guard allows loopback', () => {
    const fake = 'http://127.0.0.1:3106/workflows/wf';
    const hosts = ['*.logic.azure.com'];
    expect(urlOnHosts(fake, hosts, onOneMachine)).toBe(true);
    expect(urlOnHosts(fake, hosts, inAws)).toBe(false);
    expect(urlOnHosts('http://prod-1.x.logic.azure.com/w', hosts, onOneMachine)).toBe(false);
    expect(urlOnHosts('https://10.0.0.1/w', hosts, onOneMachine)).toBe(false);
  });
});
