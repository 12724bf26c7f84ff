import { decideRoute, DEFAULT_ROUTE, routeNamed, type RoutesConfig } from '../../../../integrations/slack/routes';

const config: RoutesConfig = {
  dispatchChannel: 'general',
  agents: ['U0LEAD'],
  routes: [
    { name: 'enterprise', when: { property: 'plan', equals: 'enterprise' }, channel: 'enterprise', agents: ['U0ERIN'] },
    { name: 'billing', when: { metadata: 'department', in: ['billing', 'refunds'] }, channel: 'billing' },
    { name: 'tier', when: { property: 'tier', in: [3, true] }, channel: 'C0TIER123' },
  ],
};

describe('Slack routes', () => {
  it('takes the first route that matches, by property or by metadata', () => {
    expect(
      decideRoute(config, { properties: { plan: 'enterprise' } }, { metadata: { department: 'billing' } }),
    ).toEqual({
      name: 'enterprise',
      channel: 'enterprise',
      agents: ['U0ERIN'],
    });
    expect(decideRoute(config, {}, { metadata: { department: 'refunds' } })).toMatchObject({ name: 'billing' });
  });

  it("gives a route without agents the app's agents", () => {
    expect(decideRoute(config, {}, { metadata: { department: 'billing' } }).agents).toEqual(['U0LEAD']);
  });

  it('compares scalars as people write them (3 and "3"), never objects', () => {
    expect(decideRoute(config, { properties: { tier: '3' } }, undefined).name).toBe('tier');
    expect(decideRoute(config, { properties: { tier: 'true' } }, undefined).name).toBe('tier');
    expect(decideRoute(config, { properties: { plan: { name: 'enterprise' } } }, undefined).name).toBe(DEFAULT_ROUTE);
    expect(decideRoute(config, { properties: { plan: ['enterprise'] } }, undefined).name).toBe(DEFAULT_ROUTE);
    expect(decideRoute(config, { properties: { plan: null } }, undefined).name).toBe(DEFAULT_ROUTE);
  });

  it('goes to the dispatch channel when nothing matches, or to a catch-all route', () => {
    expect(decideRoute(config, {}, undefined)).toEqual({ name: DEFAULT_ROUTE, channel: 'general', agents: ['U0LEAD'] });
    const withCatchAll: RoutesConfig = {
      ...config,
      routes: [...(config.routes ?? []), { name: 'rest', channel: 'rest' }],
    };
    expect(decideRoute(withCatchAll, {}, undefined).name).toBe('rest');
  });

  it('finds a route by name, and the default for a name gone from the config', () => {
    expect(routeNamed(config, 'billing')).toMatchObject({ channel: 'billing' });
    expect(routeNamed(config, 'removed')).toMatchObject({ name: DEFAULT_ROUTE, channel: 'general' });
    expect(routeNamed(config, undefined)).toMatchObject({ name: DEFAULT_ROUTE });
  });
});
