/**
 * @file
 * The identities of the emulated tenant: its id, the service principal
 * behind --client-id, the managed identity of the token endpoints, and
 * the users who own the seeded instances. Deterministic, so tests can
 * compare a token's oid with an instance's createdBy.userId.
 */
#ifndef EMULATOR_IDENT_H
#define EMULATOR_IDENT_H

#define IDENT_TENANT_ID "8d2e1c4b-6a5f-4e3d-9c2b-1a0f9e8d7c6b"
#define IDENT_SP_OID "5e4d3c2b-1a09-4f8e-8d7c-6b5a49382716"
#define IDENT_MI_OID "7f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2918"
#define IDENT_MI_CLIENT_ID "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
#define IDENT_DOMAIN "contoso.com"

/* The object id of user NAME ("alice"): a fixed UUID derived from it. */
void ident_user_oid(const char *name, char out[37]);

#endif
