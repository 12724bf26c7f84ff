/** A browser for OAuth round trips (redirects followed by hand, cookies kept per host), and "Add to Slack" with it. */

export type Browser = ReturnType<typeof createBrowser>;

export function createBrowser() {
  const jar = new Map<string, Map<string, string>>();
  return {
    async get(url: string, headers: Record<string, string> = {}) {
      const u = new URL(url);
      const cookies = [...(jar.get(u.host) ?? new Map<string, string>()).entries()].map(([k, v]) => `${k}=${v}`);
      const res = await fetch(url, {
        redirect: 'manual',
        headers: { accept: 'text/html', ...headers, ...(cookies.length ? { cookie: cookies.join('; ') } : {}) },
      });
      for (const line of res.headers.getSetCookie()) {
        const [pair = '', ...attrs] = line.split(';');
        const at = pair.indexOf('=');
        const name = pair.slice(0, at).trim();
        const value = pair.slice(at + 1).trim();
        const host = jar.get(u.host) ?? new Map<string, string>();
        jar.set(u.host, host);
        if (attrs.some((a) => /expires=Thu, 01 Jan 1970/i.test(a))) host.delete(name);
        else host.set(name, value);
      }
      return { status: res.status, location: res.headers.get('location') ?? undefined, text: await res.text() };
    },
    cookie(host: string, name: string) {
      return jar.get(host)?.get(name);
    },
  };
}

/**
 * An admin opens /slack/install (with an admin key or an install link), Slack's Allow screen redirects back, Parley
 * shows its page. Throws when a step does not redirect as it should.
 */
export async function installSlack(
  apiUrl: string,
  appId: string,
  opts: { bearer?: string; link?: string; browser?: Browser } = {},
) {
  const browser = opts.browser ?? createBrowser();
  const start = await browser.get(
    `${apiUrl}/slack/install?app=${appId}${opts.link ? `&link=${encodeURIComponent(opts.link)}` : ''}`,
    opts.bearer ? { authorization: `Bearer ${opts.bearer}` } : {},
  );
  if (start.status !== 302 || !start.location)
    throw new Error(`/slack/install answered ${start.status}: ${start.text}`);
  const allowed = await browser.get(start.location);
  if (allowed.status !== 302 || !allowed.location)
    throw new Error(`Slack's authorize page answered ${allowed.status}: ${allowed.text}`);
  const done = await browser.get(allowed.location);
  return { authorize: new URL(start.location), done, browser, callback: allowed.location };
}
