/** Home realm discovery as a table: which identity an address redeems and signs in with, and why. */
import { describe, expect, it } from 'vitest';
import {
  type HomeFacts,
  type HomeRoute,
  type HomeRules,
  maskAddress,
  personalIssuer,
  resolveHome,
  routeForBoundIdentity,
} from '../../src/redemption/home-realm.js';

const base: HomeFacts = { domain: 'fabrikam.example', externalProviders: [], personalAccount: false };
const rules: HomeRules = {
  configuration: {
    primaryIdentityProviderPrecedenceOrder: ['azureActiveDirectory', 'externalFederation', 'socialIdentityProviders'],
    fallbackIdentityProvider: 'defaultConfiguredIdp',
  },
  emailOtpEnabled: true,
  signUpAvailable: true,
};
const partner = { id: 'idp-1', issuer: 'https://login.partner.example', domains: ['fabrikam.example'] };
const wildcard = { id: 'idp-2', issuer: 'https://login.wild.example', domains: ['*.fabrikam.example'] };

const cases: Array<
  [
    string,
    Partial<HomeFacts>,
    Partial<HomeRules> & {
      order?: HomeRules['configuration']['primaryIdentityProviderPrecedenceOrder'];
      fallback?: HomeRules['configuration']['fallbackIdentityProvider'];
    },
    HomeRoute,
  ]
> = [
  ['a tenant on this instance verified the domain', { domainTenantId: 't-fab' }, {}, { kind: 'tenant', tenantId: 't-fab' }],
  [
    'the tenant beats an external provider and a personal account',
    { domainTenantId: 't-fab', externalProviders: [partner], personalAccount: true },
    {},
    { kind: 'tenant', tenantId: 't-fab' },
  ],
  ['an external provider set up for the domain', { externalProviders: [partner] }, {}, { kind: 'external', providerId: 'idp-1' }],
  [
    'an external provider for *.domain serves subdomains',
    { domain: 'eu.fabrikam.example', externalProviders: [wildcard] },
    {},
    { kind: 'external', providerId: 'idp-2' },
  ],
  ['… but not the parent domain', { externalProviders: [wildcard] }, {}, { kind: 'passcode' }],
  ['an external provider for another domain does not count', { externalProviders: [{ ...partner, domains: ['other.example'] }] }, {}, { kind: 'passcode' }],
  ['an existing personal account', { personalAccount: true }, {}, { kind: 'personal' }],
  ['the external provider beats the personal account', { externalProviders: [partner], personalAccount: true }, {}, { kind: 'external', providerId: 'idp-1' }],
  [
    'reordered: external federation first',
    { domainTenantId: 't-fab', externalProviders: [partner] },
    { order: ['externalFederation', 'azureActiveDirectory'] },
    { kind: 'external', providerId: 'idp-1' },
  ],
  [
    'reordered: personal accounts first',
    { domainTenantId: 't-fab', personalAccount: true },
    { order: ['socialIdentityProviders', 'azureActiveDirectory'] },
    { kind: 'personal' },
  ],
  [
    'a provider left out of the order is not used',
    { domainTenantId: 't-fab' },
    { order: ['externalFederation', 'socialIdentityProviders'] },
    { kind: 'passcode' },
  ],
  ['nothing found: one-time passcode', {}, {}, { kind: 'passcode' }],
  ['fallback emailOneTimePasscode', {}, { fallback: 'emailOneTimePasscode' }, { kind: 'passcode' }],
  ['fallback microsoftAccount: create a personal account', {}, { fallback: 'microsoftAccount' }, { kind: 'personal-signup' }],
  ['passcodes turned off: create a personal account', {}, { emailOtpEnabled: false }, { kind: 'personal-signup' }],
  ['passcodes off and no invitation link (sign-in to an app): no way', {}, { emailOtpEnabled: false, signUpAvailable: false }, { kind: 'none' }],
  ['passcodes off, but a personal account exists', { personalAccount: true }, { emailOtpEnabled: false, signUpAvailable: false }, { kind: 'personal' }],
];

describe('resolveHome', () => {
  it.each(cases)('%s', (_name, facts, r, expected) => {
    const { order, fallback, ...rest } = r;
    const configuration = {
      primaryIdentityProviderPrecedenceOrder: order ?? rules.configuration.primaryIdentityProviderPrecedenceOrder,
      fallbackIdentityProvider: fallback ?? rules.configuration.fallbackIdentityProvider,
    };
    expect(resolveHome({ ...base, ...facts }, { ...rules, ...rest, configuration })).toEqual(expected);
  });
});

describe('routeForBoundIdentity', () => {
  const url = 'https://foyer.example';
  const tenantId = '0190f1a2-0000-7000-8000-000000000001';
  it.each<[string, { issuer: string; issuerAssignedId: string }, HomeRoute]>([
    ['a passcode guest keeps passcodes', { issuer: 'mail', issuerAssignedId: 'a@b.example' }, { kind: 'passcode' }],
    ['a personal-account guest', { issuer: personalIssuer(url), issuerAssignedId: 'x' }, { kind: 'personal' }],
    ['a member of another tenant', { issuer: `${url}/${tenantId}/v2.0`, issuerAssignedId: 'x' }, { kind: 'tenant', tenantId }],
    ['an external provider', { issuer: partner.issuer, issuerAssignedId: 'sub' }, { kind: 'external', providerId: 'idp-1' }],
    ['an external provider since removed', { issuer: 'https://gone.example', issuerAssignedId: 'sub' }, { kind: 'none' }],
    ['another instance’s tenant is not ours', { issuer: `https://other.example/${tenantId}/v2.0`, issuerAssignedId: 'x' }, { kind: 'none' }],
  ])('%s', (_name, identity, expected) => {
    expect(routeForBoundIdentity(identity, url, [partner])).toEqual(expected);
  });
});

describe('maskAddress', () => {
  it.each([
    ['alice@example.com', 'a••••@example.com'],
    ['al@example.com', 'a•••@example.com'],
    ['bartholomew.long@example.com', 'b••••••@example.com'],
  ])('%s → %s', (address, masked) => expect(maskAddress(address)).toBe(masked));
});
