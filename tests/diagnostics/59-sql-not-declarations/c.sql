CREATE TABLE lines (id int);
COMMENT ON TABLE lines IS 'équipe';
CREATE TABEL notes (id int);
