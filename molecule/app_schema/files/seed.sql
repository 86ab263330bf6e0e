-- Rows in every table of the application's schema (enum_checks_2025 and later),
-- then the materialized views populated. Alembic creates them WITH NO DATA; in
-- the application they are filled by its refresh job (the guide's
-- "Maintenance"), so a healthy database holds them populated.
INSERT INTO users (email, password_hash)
SELECT 'reader' || g || '@example.org', 'x' FROM generate_series(1, 30) g;
INSERT INTO subscriptions (user_id)
SELECT id FROM users ORDER BY email LIMIT 5;
INSERT INTO books (user_id, title, author, file_path, file_format, file_size, genre)
SELECT id, 'Book of ' || email, 'An Author', '/books/' || email || '.epub', 'epub', 1000, 'fantasy'
FROM users ORDER BY email LIMIT 12;
INSERT INTO chapters (book_id, chapter_number, content)
SELECT b.id, n, 'chapter text' FROM books b, generate_series(1, 3) n;
INSERT INTO descriptions (chapter_id, type, content)
SELECT id, 'LOCATION', 'a hall of mirrors' FROM chapters;
INSERT INTO generated_images (description_id, user_id, service_used, prompt_used)
SELECT d.id, b.user_id, 'pollinations', 'a hall'
FROM descriptions d JOIN chapters c ON c.id = d.chapter_id JOIN books b ON b.id = c.book_id
WHERE c.chapter_number = 1;
INSERT INTO reading_progress (user_id, book_id)
SELECT user_id, id FROM books;
INSERT INTO reading_sessions (user_id, book_id, started_at, ended_at, duration_minutes, pages_read, is_active)
SELECT user_id, id, now() - interval '2 hours', now() - interval '1 hour', 60, 10, false FROM books;
REFRESH MATERIALIZED VIEW reading_sessions_daily_stats;
REFRESH MATERIALIZED VIEW user_reading_patterns;
