"""Database-level properties read straight from the catalogs (not through the collection's code)."""

RAW = """
SELECT pg_catalog.pg_encoding_to_char(d.encoding) AS encoding,
       d.datcollate AS collate, d.datctype AS ctype, d.datlocprovider AS locale_provider,
       d.daticulocale AS icu_locale, d.datconnlimit AS connection_limit,
       pg_catalog.pg_get_userbyid(d.datdba) AS owner,
       pg_catalog.shobj_description(d.oid, 'pg_database') AS comment,
       d.datacl IS NULL AS acl_is_default,
       (SELECT array_agg(a::text ORDER BY a::text) FROM unnest(d.datacl) AS a) AS acl,
       (SELECT coalesce(json_agg(json_build_object(
                 'role', coalesce(r.rolname, ''),
                 'config', (SELECT array_agg(c ORDER BY c) FROM unnest(s.setconfig) AS c))
               ORDER BY r.rolname NULLS FIRST), '[]')
        FROM pg_catalog.pg_db_role_setting s
        LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.setrole
        WHERE s.setdatabase = d.oid) AS settings
FROM pg_catalog.pg_database d
WHERE d.datname = '%s'
"""

# Everything a copy must share with its source (the comment is not copied).
COPIED = ("encoding", "collate", "ctype", "locale_provider", "icu_locale", "connection_limit", "owner",
          "acl_is_default", "acl", "settings")
