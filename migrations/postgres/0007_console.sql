-- The admin console: a client's audit events and its projects. Twin in the other dialect's
-- folder, same name.
CREATE INDEX audit_events_client ON audit_events(realm_id, client_id, id);

-- Projects of a realm: a client may ask for a token scoped to one it has access to
-- (`project-{id}`). Their own page arrives later; clients' access to them is set now.
CREATE TABLE projects (
    realm_id    TEXT NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
    id          TEXT NOT NULL,
    name        TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (realm_id, id)
);

CREATE TABLE client_projects (
    client_pk   TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    realm_id    TEXT NOT NULL,
    project_id  TEXT NOT NULL,
    PRIMARY KEY (client_pk, project_id),
    FOREIGN KEY (realm_id, project_id) REFERENCES projects(realm_id, id) ON DELETE CASCADE
);
