CREATE TABLE legacy_events (id bigserial PRIMARY KEY, organization_id uuid REFERENCES organizations(id), payload jsonb);
INSERT INTO legacy_events (payload) SELECT '{}' FROM generate_series(1, 10);
