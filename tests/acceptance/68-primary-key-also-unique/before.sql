CREATE TABLE things (id uuid PRIMARY KEY, name text NOT NULL);
INSERT INTO things SELECT gen_random_uuid(), 'thing ' || g FROM generate_series(1, 100) g;
