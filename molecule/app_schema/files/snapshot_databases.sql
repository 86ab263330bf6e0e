-- Every database of the cluster (templates aside): its oid (a rebuild or a
-- rename-and-replace gives the name another oid), whether it accepts
-- connections, and its comment (where the restore keeps its marks).
SELECT d.datname AS name, d.oid::text AS oid, d.datallowconn AS allow_connections,
       shobj_description(d.oid, 'pg_database') AS comment
FROM pg_database d
WHERE NOT d.datistemplate
ORDER BY d.datname
