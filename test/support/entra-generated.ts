/**
 * The `microsoft365:` section of a world the emulator generates from a seed (src/emulator/microsoft365
 * schema.ts `generate`): the tests' large Entra tenants. Defaults to the Contoso ids the emulator's
 * written config expects; a test that scans two tenants at once gives its own.
 */
export interface GeneratedEntra {
  seed: number;
  servicePrincipals: number;
  users: number;
  tenant?: { id: string; displayName: string; defaultDomain: string };
  scannerAppId?: string;
}

export function generatedEntraSection(g: GeneratedEntra) {
  return {
    tenant: g.tenant ?? {
      id: '5e1f0c2a-7b3d-4e9f-8a61-2c4d6e8f0a1b',
      displayName: 'Contoso (generated)',
      defaultDomain: 'contoso.example',
    },
    scanner: { appId: g.scannerAppId ?? '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a' },
    generate: { seed: g.seed, servicePrincipals: g.servicePrincipals, users: g.users },
  };
}
