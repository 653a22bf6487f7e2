-- Composite roles (Keycloak's model): holding a composite role means holding its children
-- too, transitively. Twin in the other dialect's folder, same name.
CREATE TABLE role_composites (
    role_id  TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    child_id TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    PRIMARY KEY (role_id, child_id)
);
CREATE INDEX role_composites_child ON role_composites(child_id);
