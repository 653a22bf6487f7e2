-- A client's Web Origins (Keycloak's): the browser origins its pages call the protocol
-- endpoints from with credentials (keycloak-js); `+` stands for its redirect URIs' origins.
-- JSON array. Twin in the other dialect's folder, same name.
ALTER TABLE clients ADD COLUMN web_origins TEXT NOT NULL DEFAULT '[]';
