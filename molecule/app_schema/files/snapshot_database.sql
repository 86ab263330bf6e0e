-- One database, as a restore that "touches nothing" must leave it: the rows of
-- every table, the Alembic revision, and a fingerprint of its catalog (every
-- relation with its file node, so a rewrite or a plain REFRESH shows; columns,
-- constraints, index definitions, matviews and whether they are populated,
-- extensions, the database's own settings).
SELECT
  (SELECT coalesce(json_object_agg(t.table_name, t.n ORDER BY t.table_name), '{}'::json)
   FROM (SELECT table_name,
                (xpath('/row/n/text()',
                       query_to_xml(format('SELECT count(*) AS n FROM %I.%I', table_schema, table_name),
                                    false, true, '')))[1]::text::bigint AS n
         FROM information_schema.tables
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE') t) AS rows,
  CASE WHEN to_regclass('public.alembic_version') IS NOT NULL THEN
    (xpath('/row/v/text()',
           query_to_xml('SELECT string_agg(version_num, '','' ORDER BY version_num) AS v FROM public.alembic_version',
                        false, true, '')))[1]::text
  END AS alembic_version,
  (SELECT md5(coalesce(string_agg(line, E'\n' ORDER BY line), ''))
   FROM (
     SELECT format('rel %s %s %s', c.relname, c.relkind, c.relfilenode) AS line
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
     UNION ALL
     SELECT format('att %s.%s %s %s %s', c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                   a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid))
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
     WHERE n.nspname = 'public' AND a.attnum > 0 AND NOT a.attisdropped
     UNION ALL
     SELECT format('con %s %s', conname, pg_get_constraintdef(oid))
     FROM pg_constraint WHERE connamespace = 'public'::regnamespace
     UNION ALL
     SELECT format('idx %s', indexdef) FROM pg_indexes WHERE schemaname = 'public'
     UNION ALL
     SELECT format('mv %s %s', matviewname, ispopulated) FROM pg_matviews WHERE schemaname = 'public'
     UNION ALL
     SELECT format('ext %s %s', extname, extversion) FROM pg_extension
     UNION ALL
     SELECT format('set %s %s', setrole, setconfig::text) FROM pg_db_role_setting
     WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
   ) q) AS fingerprint,
  (SELECT count(*) FROM pg_indexes WHERE schemaname = 'public') AS indexes
