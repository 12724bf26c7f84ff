import type { Request, Response } from 'express';
import { createAdminSessions, readCookie } from '../../../../api/admin/session';

/** What a browser keeps of the Set-Cookie headers, sent back as one Cookie header. */
function browser() {
  const jar = new Map<string, string>();
  const sets: string[] = [];
  const res = {
    append(name: string, value: string) {
      expect(name).toBe('Set-Cookie');
      sets.push(value);
      const [pair] = value.split(';');
      const [k, v] = (pair ?? '').split('=');
      if (!k) return;
      if (v) jar.set(k, v);
      else jar.delete(k);
    },
  } as unknown as Response;
  const req = (secure = false) =>
    ({
      secure,
      headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
    }) as unknown as Request;
  return { jar, sets, res, req };
}

describe('admin sessions', () => {
  it('sets an HttpOnly, SameSite=Strict cookie holding a random id, never the key', () => {
    const sessions = createAdminSessions();
    const b = browser();
    sessions.open(b.req(), b.res);
    const cookie = b.sets.find((s) => s.startsWith('parley_admin='));
    expect(cookie).toMatch(/^parley_admin=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=28800$/);
    expect(sessions.isAdminSession(b.req())).toBe(true);
  });

  it('is Secure and __Host- prefixed behind https', () => {
    const sessions = createAdminSessions({ secure: true });
    const b = browser();
    sessions.open(b.req(), b.res);
    expect(b.sets.find((s) => s.startsWith('__Host-parley_admin='))).toMatch(/; Secure$/);
    expect(sessions.isAdminSession(b.req())).toBe(true);
  });

  it('expires when idle and at the end of its lifetime, and ends at sign-out', () => {
    let now = 1_000_000;
    const sessions = createAdminSessions({ now: () => now, idleMs: 1000, lifetimeMs: 5000 });
    const b = browser();
    sessions.open(b.req(), b.res);
    now += 900;
    expect(sessions.isAdminSession(b.req())).toBe(true); // renews the idle timeout
    now += 900;
    expect(sessions.isAdminSession(b.req())).toBe(true);
    now += 1001;
    expect(sessions.isAdminSession(b.req())).toBe(false);

    sessions.open(b.req(), b.res);
    for (let i = 0; i < 6; i++) {
      now += 900;
      sessions.current(b.req());
    }
    expect(sessions.isAdminSession(b.req())).toBe(false); // 5.4 s > the 5 s lifetime, however active

    sessions.open(b.req(), b.res);
    expect(sessions.isAdminSession(b.req())).toBe(true);
    sessions.close(b.req(), b.res);
    expect(sessions.isAdminSession(b.req())).toBe(false);
  });

  it('holds at most `max` sessions, dropping the oldest', () => {
    const sessions = createAdminSessions({ max: 3 });
    const browsers = Array.from({ length: 5 }, () => browser());
    for (const b of browsers) sessions.open(b.req(), b.res);
    expect(sessions.size()).toBe(3);
    expect(browsers.map((b) => sessions.isAdminSession(b.req()))).toEqual([false, false, true, true, true]);
  });

  it('accepts only its own CSRF token, and the sign-in form only the token of its cookie', () => {
    const sessions = createAdminSessions();
    const a = browser();
    const b = browser();
    const sa = sessions.open(a.req(), a.res);
    const sb = sessions.open(b.req(), b.res);
    expect(sessions.verifyCsrf(sa, sa.csrf)).toBe(true);
    expect(sessions.verifyCsrf(sa, sb.csrf)).toBe(false);
    expect(sessions.verifyCsrf(sa, undefined)).toBe(false);
    expect(sessions.verifyCsrf(sa, '')).toBe(false);
    expect(sessions.verifyCsrf(sa, [sa.csrf])).toBe(false);

    const c = browser();
    const token = sessions.loginToken(c.req(), c.res);
    expect(sessions.loginToken(c.req(), c.res)).toBe(token);
    expect(sessions.verifyLoginToken(c.req(), token)).toBe(true);
    expect(sessions.verifyLoginToken(c.req(), `${token.slice(0, -1)}x`)).toBe(false);
    expect(sessions.verifyLoginToken(browser().req(), token)).toBe(false);
  });

  it('reads only well-formed ids from the Cookie header', () => {
    const req = (cookie: string) => ({ headers: { cookie } }) as unknown as Request;
    const id = 'a'.repeat(43);
    expect(readCookie(req(`x=1; parley_admin=${id}`), 'parley_admin')).toBe(id);
    expect(readCookie(req('parley_admin=%zz'), 'parley_admin')).toBeUndefined();
    expect(readCookie(req(`parley_admin=${id}"; <`), 'parley_admin')).toBeUndefined();
    expect(readCookie(req(`parley_admin=${'a'.repeat(9000)}`), 'parley_admin')).toBeUndefined();
  });

  it('keeps a bounded number of notices per session', () => {
    const sessions = createAdminSessions();
    const b = browser();
    const s = sessions.open(b.req(), b.res);
    for (let i = 0; i < 9; i++) sessions.flash(s, { kind: 'ok', text: `n${i}${'x'.repeat(5000)}` });
    const shown = sessions.takeFlash(s);
    expect(shown.map((n) => n.text.slice(0, 2))).toEqual(['n4', 'n5', 'n6', 'n7', 'n8']);
    expect(shown[0]?.text.length).toBe(4000);
    expect(sessions.takeFlash(s)).toEqual([]);
  });
});
