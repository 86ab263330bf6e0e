-- Realistic rows in every table of the bookreader schema (enum_checks_2025),
-- for the backup scenarios and the backup benchmark (tests/scripts/bench-backup.sh).
--
-- psql variables:
--   scale  readers; each has 1 subscription, 4 books of 12 chapters, 3
--          descriptions per chapter, 1 image per 2 descriptions, 1 reading
--          progress per book and 10 reading sessions per book
--   words  words of prose per chapter (about 6.5 bytes a word); chapters are
--          where a real bookreader database keeps its bytes
--
-- Prose is drawn from a small vocabulary, so it compresses about as well as
-- real text (gzip about 3:1), which is what the compression figures need.
-- Run with psql -v ON_ERROR_STOP=1 --single-transaction -v scale=5 -v words=300.

SELECT (:scale)::int AS seed_users, (:words)::int AS seed_words \gset

CREATE FUNCTION pg_temp.prose(n int) RETURNS text
LANGUAGE sql VOLATILE AS $$
  SELECT string_agg(
    (ARRAY['the', 'a', 'and', 'of', 'to', 'in', 'was', 'he', 'she', 'it', 'that', 'his', 'her',
           'with', 'as', 'had', 'for', 'on', 'at', 'by', 'from', 'they', 'but', 'not', 'which',
           'old', 'house', 'river', 'night', 'light', 'door', 'window', 'road', 'forest', 'castle',
           'storm', 'letter', 'captain', 'garden', 'mountain', 'village', 'winter', 'silence',
           'shadow', 'lantern', 'horse', 'ship', 'sea', 'stone', 'tower', 'bridge', 'candle',
           'whispered', 'walked', 'looked', 'remembered', 'opened', 'closed', 'waited', 'ran',
           'slowly', 'suddenly', 'quietly', 'again', 'never', 'always', 'almost', 'perhaps',
           'dark', 'cold', 'bright', 'distant', 'narrow', 'ancient', 'empty', 'golden', 'grey',
           'Anna', 'Pierre', 'Natasha', 'Holmes', 'Watson', 'Elizabeth', 'Darcy', 'Ahab'])
      [1 + floor(random() * 88)::int], ' ')
  FROM generate_series(1, n)
$$;

INSERT INTO users (email, password_hash, full_name, is_active, is_verified, is_admin,
                   created_at, updated_at, last_login)
SELECT 'reader' || u || '@example.org',
       '$2b$12$' || substr(md5(u::text), 1, 22) || substr(md5('salt' || u), 1, 31),
       (ARRAY['Anna', 'Pierre', 'Maria', 'Ivan', 'Olga', 'John', 'Mei', 'Sara'])[1 + u % 8]
         || ' ' || (ARRAY['Ivanova', 'Bezukhov', 'Smith', 'Chen', 'Garcia', 'Novak'])[1 + u % 6],
       u % 17 <> 0, u % 3 <> 0, u = 1,
       now() - (u || ' days')::interval, now() - (u % 5 || ' days')::interval,
       CASE WHEN u % 4 = 0 THEN NULL ELSE now() - (u % 9 || ' hours')::interval END
FROM generate_series(1, :seed_users) AS u;

CREATE TEMP TABLE seed_users AS
SELECT id, row_number() OVER (ORDER BY email) AS n FROM users;

INSERT INTO subscriptions (user_id, plan, status, start_date, end_date, auto_renew, payment_method)
SELECT id,
       (ARRAY['FREE', 'PREMIUM', 'ULTIMATE'])[1 + n % 3]::subscriptionplan,
       (ARRAY['ACTIVE', 'ACTIVE', 'EXPIRED', 'CANCELLED', 'PENDING'])[1 + n % 5]::subscriptionstatus,
       now() - (n * 3 || ' days')::interval,
       CASE WHEN n % 3 = 0 THEN NULL ELSE now() + (30 - n % 60 || ' days')::interval END,
       n % 4 <> 0,
       CASE WHEN n % 3 = 0 THEN NULL ELSE (ARRAY['card', 'paypal', 'apple_pay'])[1 + n % 3] END
FROM seed_users;

INSERT INTO books (user_id, title, author, genre, language, file_path, file_format, file_size,
                   cover_image, description, total_pages, estimated_reading_time, is_parsed,
                   parsing_progress, created_at, book_metadata)
SELECT u.id,
       initcap(pg_temp.prose(3 + b)),
       (ARRAY['Leo Tolstoy', 'Arthur Conan Doyle', 'Jane Austen', 'Herman Melville', NULL])[1 + (u.n + b) % 5],
       (ARRAY['fantasy', 'detective', 'science_fiction', 'historical', 'romance', 'thriller',
              'horror', 'classic', 'other'])[1 + (u.n * 4 + b) % 9],
       (ARRAY['en', 'ru', 'fr'])[1 + b % 3],
       '/data/books/' || u.n || '/' || b || '.epub',
       (ARRAY['epub', 'fb2'])[1 + b % 2],
       100000 + (u.n * 7919 + b * 104729) % 5000000,
       CASE WHEN b % 2 = 0 THEN '/data/covers/' || u.n || '-' || b || '.jpg' END,
       pg_temp.prose(40),
       120 + (u.n + b * 37) % 800,
       180 + (u.n * 11 + b) % 1200,
       b <> 4,
       CASE WHEN b <> 4 THEN 100 ELSE (u.n * 13) % 100 END,
       now() - ((u.n + b) % 300 || ' days')::interval,
       jsonb_build_object('isbn', '978' || lpad(((u.n * 4 + b) * 7919 % 1000000000)::text, 10, '0'),
                          'publisher', (ARRAY['Penguin', 'Vintage', 'Eksmo'])[1 + b % 3],
                          'tags', jsonb_build_array('imported', 'batch-' || (u.n % 7)))
FROM seed_users u, generate_series(1, 4) AS b;

CREATE TEMP TABLE seed_books AS
SELECT id, user_id, row_number() OVER (ORDER BY file_path) AS n FROM books;

INSERT INTO chapters (book_id, chapter_number, title, content, word_count)
SELECT b.id, c, 'Chapter ' || c, pg_temp.prose(:seed_words), :seed_words
FROM seed_books b, generate_series(1, 12) AS c;

INSERT INTO descriptions (chapter_id, description_type, original_text, processed_prompt,
                          position_in_chapter, context_before, context_after, confidence_score,
                          metadata, is_approved)
SELECT ch.id,
       (ARRAY['LOCATION', 'CHARACTER', 'ATMOSPHERE', 'OBJECT', 'ACTION'])[1 + (ch.chapter_number + d) % 5]::descriptiontype,
       pg_temp.prose(25),
       CASE WHEN d <> 3 THEN 'illustration, ' || pg_temp.prose(12) END,
       d * 400 + ch.chapter_number,
       pg_temp.prose(8),
       pg_temp.prose(8),
       round((0.5 + ((ch.chapter_number * 7 + d * 13) % 50) / 100.0)::numeric, 2),
       jsonb_build_object('model', 'nlp-v2', 'tokens', 20 + d),
       d <> 2
FROM chapters ch, generate_series(1, 3) AS d;

INSERT INTO generated_images (description_id, user_id, service_used, image_url, local_path,
                              prompt_used, generation_parameters, status, error_message,
                              created_at, generated_at)
SELECT d.id, b.user_id,
       (ARRAY['pollinations', 'openai_dalle', 'midjourney', 'stable_diffusion'])[1 + d.position_in_chapter % 4],
       'https://images.example.org/' || md5(d.id::text) || '.png',
       '/data/images/' || md5(d.id::text) || '.png',
       coalesce(d.processed_prompt, d.original_text),
       jsonb_build_object('width', 1024, 'height', 768, 'steps', 30),
       (ARRAY['completed', 'completed', 'completed', 'failed', 'pending'])[1 + d.position_in_chapter % 5],
       CASE WHEN d.position_in_chapter % 5 = 3 THEN 'timeout from upstream service' END,
       d.created_at,
       CASE WHEN d.position_in_chapter % 5 < 3 THEN d.created_at + interval '40 seconds' END
FROM descriptions d
JOIN chapters ch ON ch.id = d.chapter_id
JOIN books b ON b.id = ch.book_id
WHERE d.position_in_chapter % 2 = 0 OR d.position_in_chapter % 800 = 1;

INSERT INTO reading_progress (user_id, book_id, current_chapter, current_page, current_position,
                              reading_time_minutes, reading_speed_wpm, reading_location_cfi,
                              scroll_offset_percent, last_read_at)
SELECT b.user_id, b.id, 1 + b.n % 12, 1 + b.n % 300, (b.n * 97) % 10000, (b.n * 7) % 900,
       180 + b.n % 120, 'epubcfi(/6/' || (2 + b.n % 40) || '!/4/2/1:' || b.n % 500 || ')',
       (b.n % 100)::double precision, now() - (b.n % 60 || ' hours')::interval
FROM seed_books b;

INSERT INTO reading_sessions (user_id, book_id, start_time, end_time, duration_seconds,
                              start_chapter, end_chapter, start_position, end_position, pages_read,
                              words_read, average_wpm, device_type)
SELECT b.user_id, b.id,
       now() - ((b.n * 10 + s) % 400 || ' days')::interval - (s || ' hours')::interval,
       CASE WHEN s <> 10 THEN now() - ((b.n * 10 + s) % 400 || ' days')::interval - (s || ' hours')::interval
                              + ((300 + (b.n * s) % 3000) || ' seconds')::interval END,
       CASE WHEN s <> 10 THEN 300 + (b.n * s) % 3000 END,
       1 + s % 12, CASE WHEN s <> 10 THEN 2 + s % 11 END,
       s * 100, CASE WHEN s <> 10 THEN s * 100 + 2500 END,
       CASE WHEN s <> 10 THEN 5 + s END,
       CASE WHEN s <> 10 THEN 1500 + s * 110 END,
       CASE WHEN s <> 10 THEN 180 + (b.n + s) % 90 END,
       (ARRAY['web', 'ios', 'android', 'kindle'])[1 + (b.n + s) % 4]
FROM seed_books b, generate_series(1, 10) AS s;

INSERT INTO alembic_version (version_num) VALUES ('enum_checks_2025');

REFRESH MATERIALIZED VIEW reading_sessions_daily_stats;
REFRESH MATERIALIZED VIEW user_reading_patterns;
