-- Drift a repair in place fixes, each kind once, on a database with rows.
DROP INDEX ix_books_title;
ALTER TABLE books DROP CONSTRAINT check_book_genre;
ALTER TABLE reading_sessions DROP CONSTRAINT reading_sessions_book_id_fkey;
-- A nullable column, and a NOT NULL column with a default.
ALTER TABLE books DROP COLUMN description;
ALTER TABLE chapters DROP COLUMN word_count;
-- One view gone, one replaced by another query (with an index of its own).
DROP MATERIALIZED VIEW user_reading_patterns;
DROP MATERIALIZED VIEW reading_sessions_daily_stats;
CREATE MATERIALIZED VIEW reading_sessions_daily_stats AS
  SELECT user_id, count(*) AS sessions_count FROM reading_sessions GROUP BY user_id;
CREATE INDEX idx_daily_stats_old ON reading_sessions_daily_stats (user_id);
-- PostgreSQL cannot drop an enum label: the type is made again without EXPIRED.
ALTER TABLE subscriptions ALTER COLUMN status DROP DEFAULT;
ALTER TYPE subscriptionstatus RENAME TO subscriptionstatus_old;
CREATE TYPE subscriptionstatus AS ENUM ('ACTIVE', 'CANCELLED', 'PENDING');
ALTER TABLE subscriptions ALTER COLUMN status TYPE subscriptionstatus USING status::text::subscriptionstatus;
ALTER TABLE subscriptions ALTER COLUMN status SET DEFAULT 'ACTIVE'::subscriptionstatus;
DROP TYPE subscriptionstatus_old;
-- An empty table gone (its foreign keys with it).
DELETE FROM generated_images;
DROP TABLE generated_images;
-- What an interrupted CREATE INDEX CONCURRENTLY leaves: an index no query uses.
UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'public.ix_books_author'::regclass;
