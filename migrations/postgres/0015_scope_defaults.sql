-- Which realm scopes a new client gets (Keycloak's realm default client scopes): 'default'
-- (allowed, and granted when a request names none), 'optional' (allowed when asked for), or
-- NULL. Twin in the other dialect's folder, same name.
ALTER TABLE scopes ADD COLUMN new_clients TEXT;
