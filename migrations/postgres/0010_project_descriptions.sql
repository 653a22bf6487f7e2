-- A project's description, shown on the console's Projects page. Twin in the other dialect's
-- folder, same name.
ALTER TABLE projects ADD COLUMN description TEXT NOT NULL DEFAULT '';
