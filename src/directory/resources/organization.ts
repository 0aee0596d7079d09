/** Graph's `organization` resource: the tenant. */
import { defineResource } from '../../platform/odata/resource.js';
import { directoryObjectResource } from './directory-object.js';

export const organizationResource = defineResource({
  name: 'organization',
  base: directoryObjectResource,
  entitySet: 'organization',
  properties: {
    displayName: { type: 'Edm.String', default: true, update: true, doc: "The tenant's name." },
    createdDateTime: { type: 'Edm.DateTimeOffset', default: true, doc: 'When the tenant was created.' },
    preferredLanguage: {
      type: 'Edm.String',
      default: true,
      update: true,
      doc: 'The language of mail to guests when nothing closer is known (a tag like sv-SE).',
    },
    tenantType: { type: 'Edm.String', default: true, doc: 'Always AAD (a workforce tenant).' },
    verifiedDomains: {
      type: 'Collection(microsoft.graph.verifiedDomain)',
      nullable: false,
      default: true,
      doc: "The tenant's verified domains (name, isDefault, isInitial, type, capabilities).",
    },
    privacyProfile: { type: 'microsoft.graph.privacyProfile', default: true, update: true, doc: 'The privacy statement URL and contact e-mail.' },
  },
  navigation: {
    branding: {
      type: 'microsoft.graph.organizationalBranding',
      collection: false,
      expandable: false,
      containsTarget: true,
      doc: "The tenant's sign-in page branding.",
    },
  },
});

/** The tenant's branding of its sign-in and redemption pages (`/organization/{id}/branding`). */
export const organizationalBrandingResource = defineResource({
  name: 'organizationalBranding',
  properties: {
    // Graph's id of the default branding (the one without a locale).
    id: { type: 'Edm.String', nullable: false, default: true, doc: 'Always 0: the default branding.' },
    backgroundColor: { type: 'Edm.String', default: true, update: true, doc: 'The page background colour, such as #FFFFFF.' },
    signInPageText: { type: 'Edm.String', default: true, update: true, doc: 'Text shown on the sign-in page (1024 characters at most).' },
    bannerLogoUrl: {
      type: 'Edm.String',
      default: true,
      update: true,
      doc: 'Foyer extension: an https URL of the banner logo (Graph uploads the logo as a stream).',
    },
  },
});
