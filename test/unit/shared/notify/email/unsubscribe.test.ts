import {
  generateUnsubscribeToken,
  hashUnsubscribeToken,
  isOneClickBody,
  isWellFormedUnsubscribeToken,
  unsubscribeUrl,
} from '../../../../../shared/notify/email/unsubscribe';

describe('one-click unsubscribe (RFC 8058)', () => {
  it('takes the form mail providers post', () => {
    expect(isOneClickBody('application/x-www-form-urlencoded', 'List-Unsubscribe=One-Click')).toBe(true);
    expect(
      isOneClickBody('application/x-www-form-urlencoded; charset=utf-8', 'List-Unsubscribe=One-Click'),
    ).toBe(true);
    const multipart =
      '--b\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--b--\r\n';
    expect(isOneClickBody('multipart/form-data; boundary=b', multipart)).toBe(true);
  });

  it('refuses anything else: no body, another value, JSON, or a body far longer than the form', () => {
    expect(isOneClickBody('application/x-www-form-urlencoded', '')).toBe(false);
    expect(isOneClickBody('application/x-www-form-urlencoded', 'List-Unsubscribe=Yes')).toBe(false);
    expect(isOneClickBody('application/json', '{"List-Unsubscribe":"One-Click"}')).toBe(false);
    expect(isOneClickBody(undefined, 'List-Unsubscribe=One-Click')).toBe(false);
    expect(
      isOneClickBody(
        'application/x-www-form-urlencoded',
        `List-Unsubscribe=One-Click&pad=${'x'.repeat(2000)}`,
      ),
    ).toBe(false);
  });

  it('makes random tokens, stored by a hash that does not show them, in links to the unsubscribe page', () => {
    const a = generateUnsubscribeToken();
    const b = generateUnsubscribeToken();
    expect(a).not.toBe(b);
    expect(isWellFormedUnsubscribeToken(a)).toBe(true);
    expect(isWellFormedUnsubscribeToken(`${a}x`)).toBe(false);
    expect(isWellFormedUnsubscribeToken('hubunsub_../../etc')).toBe(false);
    expect(hashUnsubscribeToken(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashUnsubscribeToken(a)).not.toContain(a.slice(9));
    expect(unsubscribeUrl('https://hub.example/', a)).toBe(`https://hub.example/unsubscribe?token=${a}`);
  });
});
