import { ipAllowed, OrgSettingsPatchSchema, OrgSettingsSchema } from '../../../../shared/tenancy/org';

describe('org settings', () => {
  it('fills every default, seven years of retention among them', () => {
    expect(OrgSettingsSchema.parse({})).toEqual({
      allowedEmailDomains: [],
      sessionLifetimeMinutes: 480,
      sessionIdleMinutes: null,
      mfaRequired: false,
      stepUpMinutes: 15,
      ipAllowList: [],
      defaultRole: 'member',
      dataRetentionDays: 2555,
    });
  });

  it('leaves unnamed fields out of a patch, so they keep their values', () => {
    expect(OrgSettingsPatchSchema.parse({ mfaRequired: true })).toEqual({ mfaRequired: true });
  });

  it('bounds the idle timeout to 5 minutes to a day, and takes null for none', () => {
    for (const ok of [5, 60, 1440, null]) {
      expect(OrgSettingsPatchSchema.safeParse({ sessionIdleMinutes: ok }).success).toBe(true);
    }
    for (const bad of [4, 1441, 30.5, '30']) {
      expect(OrgSettingsPatchSchema.safeParse({ sessionIdleMinutes: bad }).success).toBe(false);
    }
  });

  it('accepts IPv4 and IPv6 CIDR blocks and refuses anything else', () => {
    expect(
      OrgSettingsPatchSchema.safeParse({ ipAllowList: ['203.0.113.0/24', '2001:db8::/32'] }).success,
    ).toBe(true);
    for (const bad of ['203.0.113.0', '203.0.113.0/33', 'example.com/24', '']) {
      expect(OrgSettingsPatchSchema.safeParse({ ipAllowList: [bad] }).success).toBe(false);
    }
    expect(OrgSettingsPatchSchema.safeParse({ unknown: 1 }).success).toBe(false);
  });
});

describe('IP allow-lists', () => {
  it('allows every address while the list is empty', () => {
    expect(ipAllowed('198.51.100.7', [])).toBe(true);
  });

  it('allows addresses inside a block and refuses the rest', () => {
    const list = ['203.0.113.0/24', '2001:db8::/32'];
    expect(ipAllowed('203.0.113.200', list)).toBe(true);
    expect(ipAllowed('203.0.114.1', list)).toBe(false);
    expect(ipAllowed('2001:db8::1', list)).toBe(true);
    expect(ipAllowed('2001:db9::1', list)).toBe(false);
  });

  it('matches an IPv4-mapped IPv6 address as IPv4, and refuses garbage', () => {
    expect(ipAllowed('::ffff:203.0.113.9', ['203.0.113.0/24'])).toBe(true);
    expect(ipAllowed('not-an-ip', ['0.0.0.0/0'])).toBe(false);
  });
});
