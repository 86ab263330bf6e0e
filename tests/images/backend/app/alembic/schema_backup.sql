--
-- PostgreSQL database dump
--


-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: pg_trgm; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;


--
-- Name: EXTENSION pg_trgm; Type: COMMENT; Schema: -; Owner: 
--

COMMENT ON EXTENSION pg_trgm IS 'text similarity measurement and index searching based on trigrams';


--
-- Name: uuid-ossp; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA public;


--
-- Name: EXTENSION "uuid-ossp"; Type: COMMENT; Schema: -; Owner: 
--

COMMENT ON EXTENSION "uuid-ossp" IS 'generate universally unique identifiers (UUIDs)';


--
-- Name: descriptiontype; Type: TYPE; Schema: public; Owner: postgres
--

CREATE TYPE public.descriptiontype AS ENUM (
    'LOCATION',
    'CHARACTER',
    'ATMOSPHERE',
    'OBJECT',
    'ACTION'
);


ALTER TYPE public.descriptiontype OWNER TO postgres;

--
-- Name: subscriptionplan; Type: TYPE; Schema: public; Owner: postgres
--

CREATE TYPE public.subscriptionplan AS ENUM (
    'FREE',
    'PREMIUM',
    'ULTIMATE'
);


ALTER TYPE public.subscriptionplan OWNER TO postgres;

--
-- Name: subscriptionstatus; Type: TYPE; Schema: public; Owner: postgres
--

CREATE TYPE public.subscriptionstatus AS ENUM (
    'ACTIVE',
    'EXPIRED',
    'CANCELLED',
    'PENDING'
);


ALTER TYPE public.subscriptionstatus OWNER TO postgres;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: alembic_version; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);


ALTER TABLE public.alembic_version OWNER TO postgres;

--
-- Name: books; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.books (
    id uuid DEFAULT public.uuid_generate_v4() NOT NULL,
    user_id uuid NOT NULL,
    title character varying(500) NOT NULL,
    author character varying(255),
    genre character varying(50) DEFAULT 'other'::character varying NOT NULL,
    language character varying(10) DEFAULT 'ru'::character varying NOT NULL,
    file_path character varying(1000) NOT NULL,
    file_format character varying(10) NOT NULL,
    file_size bigint NOT NULL,
    cover_image character varying(1000),
    description text,
    total_pages integer DEFAULT 0 NOT NULL,
    estimated_reading_time integer DEFAULT 0 NOT NULL,
    is_parsed boolean DEFAULT false NOT NULL,
    parsing_progress integer DEFAULT 0 NOT NULL,
    parsing_error text,
    book_metadata jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    last_accessed timestamp with time zone,
    CONSTRAINT check_book_format CHECK (((file_format)::text = ANY ((ARRAY['epub'::character varying, 'fb2'::character varying])::text[]))),
    CONSTRAINT check_book_genre CHECK (((genre)::text = ANY ((ARRAY['fantasy'::character varying, 'detective'::character varying, 'science_fiction'::character varying, 'historical'::character varying, 'romance'::character varying, 'thriller'::character varying, 'horror'::character varying, 'classic'::character varying, 'other'::character varying])::text[])))
);


ALTER TABLE public.books OWNER TO postgres;

--
-- Name: chapters; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.chapters (
    id uuid DEFAULT public.uuid_generate_v4() NOT NULL,
    book_id uuid NOT NULL,
    chapter_number integer NOT NULL,
    title character varying(500),
    content text NOT NULL,
    html_content text,
    word_count integer DEFAULT 0 NOT NULL,
    is_description_parsed boolean DEFAULT false NOT NULL,
    descriptions_found integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);


ALTER TABLE public.chapters OWNER TO postgres;

--
-- Name: descriptions; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.descriptions (
    id uuid DEFAULT public.uuid_generate_v4() NOT NULL,
    chapter_id uuid NOT NULL,
    type public.descriptiontype NOT NULL,
    content text NOT NULL,
    context text,
    confidence_score double precision DEFAULT '0'::double precision NOT NULL,
    position_in_chapter integer DEFAULT 0 NOT NULL,
    word_count integer DEFAULT 0 NOT NULL,
    is_suitable_for_generation boolean DEFAULT true NOT NULL,
    image_generated boolean DEFAULT false NOT NULL,
    entities_mentioned jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    priority_score double precision DEFAULT '0'::double precision NOT NULL
);


ALTER TABLE public.descriptions OWNER TO postgres;

--
-- Name: generated_images; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.generated_images (
    id uuid DEFAULT public.uuid_generate_v4() NOT NULL,
    description_id uuid NOT NULL,
    user_id uuid NOT NULL,
    service_used character varying(50) NOT NULL,
    status character varying(20) DEFAULT 'pending'::character varying NOT NULL,
    image_url character varying(2000),
    local_path character varying(1000),
    prompt_used text NOT NULL,
    generation_parameters jsonb,
    generation_time_seconds double precision,
    file_size integer,
    image_width integer,
    image_height integer,
    error_message text,
    retry_count integer DEFAULT 0 NOT NULL,
    is_moderated boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    generated_at timestamp with time zone,
    CONSTRAINT check_image_service CHECK (((service_used)::text = ANY ((ARRAY['pollinations'::character varying, 'openai_dalle'::character varying, 'midjourney'::character varying, 'stable_diffusion'::character varying])::text[]))),
    CONSTRAINT check_image_status CHECK (((status)::text = ANY ((ARRAY['pending'::character varying, 'generating'::character varying, 'completed'::character varying, 'failed'::character varying, 'moderated'::character varying])::text[])))
);


ALTER TABLE public.generated_images OWNER TO postgres;

--
-- Name: reading_progress; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.reading_progress (
    id uuid DEFAULT public.uuid_generate_v4() NOT NULL,
    user_id uuid NOT NULL,
    book_id uuid NOT NULL,
    current_chapter integer DEFAULT 1 NOT NULL,
    current_page integer DEFAULT 1 NOT NULL,
    current_position integer DEFAULT 0 NOT NULL,
    reading_location_cfi character varying(500),
    scroll_offset_percent double precision DEFAULT '0'::double precision NOT NULL,
    reading_time_minutes integer DEFAULT 0 NOT NULL,
    reading_speed_wpm double precision DEFAULT '0'::double precision NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    last_read_at timestamp with time zone DEFAULT now() NOT NULL
);


ALTER TABLE public.reading_progress OWNER TO postgres;

--
-- Name: reading_sessions; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.reading_sessions (
    id uuid DEFAULT public.uuid_generate_v4() NOT NULL,
    user_id uuid NOT NULL,
    book_id uuid NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    ended_at timestamp with time zone,
    duration_minutes integer DEFAULT 0 NOT NULL,
    start_position integer DEFAULT 0 NOT NULL,
    end_position integer DEFAULT 0 NOT NULL,
    pages_read integer DEFAULT 0 NOT NULL,
    device_type character varying(50),
    is_active boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);


ALTER TABLE public.reading_sessions OWNER TO postgres;

--
-- Name: reading_sessions_daily_stats; Type: MATERIALIZED VIEW; Schema: public; Owner: postgres
--

CREATE MATERIALIZED VIEW public.reading_sessions_daily_stats AS
 SELECT reading_sessions.user_id,
    ((reading_sessions.started_at AT TIME ZONE 'UTC'::text))::date AS reading_date,
    count(*) AS sessions_count,
    sum(reading_sessions.duration_minutes) AS total_minutes,
    sum(reading_sessions.pages_read) AS total_pages,
    count(DISTINCT reading_sessions.book_id) AS books_count,
    max(reading_sessions.ended_at) AS last_session_end
   FROM public.reading_sessions
  WHERE ((NOT reading_sessions.is_active) AND (reading_sessions.ended_at IS NOT NULL))
  GROUP BY reading_sessions.user_id, (((reading_sessions.started_at AT TIME ZONE 'UTC'::text))::date)
  WITH NO DATA;


ALTER TABLE public.reading_sessions_daily_stats OWNER TO postgres;

--
-- Name: subscriptions; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.subscriptions (
    id uuid DEFAULT public.uuid_generate_v4() NOT NULL,
    user_id uuid NOT NULL,
    plan public.subscriptionplan DEFAULT 'FREE'::public.subscriptionplan NOT NULL,
    status public.subscriptionstatus DEFAULT 'ACTIVE'::public.subscriptionstatus NOT NULL,
    start_date timestamp with time zone DEFAULT now() NOT NULL,
    end_date timestamp with time zone,
    auto_renew boolean DEFAULT false NOT NULL,
    books_uploaded integer DEFAULT 0 NOT NULL,
    images_generated_month integer DEFAULT 0 NOT NULL,
    last_reset_date timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);


ALTER TABLE public.subscriptions OWNER TO postgres;

--
-- Name: user_reading_patterns; Type: MATERIALIZED VIEW; Schema: public; Owner: postgres
--

CREATE MATERIALIZED VIEW public.user_reading_patterns AS
 SELECT s.user_id,
    count(DISTINCT s.book_id) AS books_read,
    avg(s.duration_minutes) AS avg_session_minutes,
    percentile_cont((0.5)::double precision) WITHIN GROUP (ORDER BY ((s.duration_minutes)::double precision)) AS median_session_minutes,
    mode() WITHIN GROUP (ORDER BY (EXTRACT(hour FROM s.started_at))) AS favourite_hour,
    sum(s.pages_read) AS total_pages
   FROM public.reading_sessions s
  WHERE (NOT s.is_active)
  GROUP BY s.user_id
  WITH NO DATA;


ALTER TABLE public.user_reading_patterns OWNER TO postgres;

--
-- Name: users; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.users (
    id uuid DEFAULT public.uuid_generate_v4() NOT NULL,
    email character varying(255) NOT NULL,
    password_hash character varying(255) NOT NULL,
    full_name character varying(255),
    is_active boolean DEFAULT true NOT NULL,
    is_verified boolean DEFAULT false NOT NULL,
    is_admin boolean DEFAULT false NOT NULL,
    preferences jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    last_login timestamp with time zone
);


ALTER TABLE public.users OWNER TO postgres;

--
-- Name: alembic_version alembic_version_pkc; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);


--
-- Name: books books_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.books
    ADD CONSTRAINT books_pkey PRIMARY KEY (id);


--
-- Name: chapters chapters_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.chapters
    ADD CONSTRAINT chapters_pkey PRIMARY KEY (id);


--
-- Name: descriptions descriptions_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.descriptions
    ADD CONSTRAINT descriptions_pkey PRIMARY KEY (id);


--
-- Name: generated_images generated_images_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.generated_images
    ADD CONSTRAINT generated_images_pkey PRIMARY KEY (id);


--
-- Name: reading_progress reading_progress_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.reading_progress
    ADD CONSTRAINT reading_progress_pkey PRIMARY KEY (id);


--
-- Name: reading_sessions reading_sessions_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.reading_sessions
    ADD CONSTRAINT reading_sessions_pkey PRIMARY KEY (id);


--
-- Name: subscriptions subscriptions_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.subscriptions
    ADD CONSTRAINT subscriptions_pkey PRIMARY KEY (id);


--
-- Name: chapters uq_chapters_book_number; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.chapters
    ADD CONSTRAINT uq_chapters_book_number UNIQUE (book_id, chapter_number);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);


--
-- Name: idx_books_author_trgm; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_books_author_trgm ON public.books USING gin (author public.gin_trgm_ops);


--
-- Name: idx_books_metadata_gin; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_books_metadata_gin ON public.books USING gin (book_metadata);


--
-- Name: idx_books_title_trgm; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_books_title_trgm ON public.books USING gin (title public.gin_trgm_ops);


--
-- Name: idx_books_user_created; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_books_user_created ON public.books USING btree (user_id, created_at DESC);


--
-- Name: idx_books_user_unparsed; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_books_user_unparsed ON public.books USING btree (user_id) WHERE (NOT is_parsed);


--
-- Name: idx_chapters_unparsed; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_chapters_unparsed ON public.chapters USING btree (book_id) WHERE (NOT is_description_parsed);


--
-- Name: idx_daily_stats_date; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_daily_stats_date ON public.reading_sessions_daily_stats USING btree (reading_date);


--
-- Name: idx_daily_stats_user_date; Type: INDEX; Schema: public; Owner: postgres
--

CREATE UNIQUE INDEX idx_daily_stats_user_date ON public.reading_sessions_daily_stats USING btree (user_id, reading_date);


--
-- Name: idx_descriptions_chapter_priority; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_descriptions_chapter_priority ON public.descriptions USING btree (chapter_id, priority_score DESC);


--
-- Name: idx_descriptions_content_trgm; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_descriptions_content_trgm ON public.descriptions USING gin (content public.gin_trgm_ops);


--
-- Name: idx_descriptions_type_priority; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_descriptions_type_priority ON public.descriptions USING btree (type, priority_score DESC) WHERE is_suitable_for_generation;


--
-- Name: idx_generated_images_status; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_generated_images_status ON public.generated_images USING btree (status);


--
-- Name: idx_generated_images_user_created; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_generated_images_user_created ON public.generated_images USING btree (user_id, created_at DESC);


--
-- Name: idx_patterns_user; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_patterns_user ON public.user_reading_patterns USING btree (user_id);


--
-- Name: idx_reading_progress_last_read; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_reading_progress_last_read ON public.reading_progress USING btree (user_id, last_read_at DESC);


--
-- Name: idx_reading_progress_user_book; Type: INDEX; Schema: public; Owner: postgres
--

CREATE UNIQUE INDEX idx_reading_progress_user_book ON public.reading_progress USING btree (user_id, book_id);


--
-- Name: idx_reading_sessions_active; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_reading_sessions_active ON public.reading_sessions USING btree (user_id, is_active) WHERE is_active;


--
-- Name: idx_reading_sessions_book_started; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_reading_sessions_book_started ON public.reading_sessions USING btree (book_id, started_at);


--
-- Name: idx_reading_sessions_user_started; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_reading_sessions_user_started ON public.reading_sessions USING btree (user_id, started_at DESC);


--
-- Name: idx_subscriptions_status_end; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_subscriptions_status_end ON public.subscriptions USING btree (status, end_date);


--
-- Name: idx_users_active_created; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_users_active_created ON public.users USING btree (is_active, created_at);


--
-- Name: ix_books_author; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX ix_books_author ON public.books USING btree (author);


--
-- Name: ix_books_genre; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX ix_books_genre ON public.books USING btree (genre);


--
-- Name: ix_books_id; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX ix_books_id ON public.books USING btree (id);


--
-- Name: ix_books_title; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX ix_books_title ON public.books USING btree (title);


--
-- Name: ix_books_user_id; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX ix_books_user_id ON public.books USING btree (user_id);


--
-- Name: ix_chapters_book_id; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX ix_chapters_book_id ON public.chapters USING btree (book_id);


--
-- Name: ix_chapters_id; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX ix_chapters_id ON public.chapters USING btree (id);


--
-- Name: ix_descriptions_chapter_id; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX ix_descriptions_chapter_id ON public.descriptions USING btree (chapter_id);


--
-- Name: ix_descriptions_id; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX ix_descriptions_id ON public.descriptions USING btree (id);


--
-- Name: ix_descriptions_type; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX ix_descriptions_type ON public.descriptions USING btree (type);


--
-- Name: ix_generated_images_description_id; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX ix_generated_images_description_id ON public.generated_images USING btree (description_id);


--
-- Name: ix_generated_images_id; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX ix_generated_images_id ON public.generated_images USING btree (id);


--
-- Name: ix_generated_images_user_id; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX ix_generated_images_user_id ON public.generated_images USING btree (user_id);


--
-- Name: ix_reading_progress_book_id; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX ix_reading_progress_book_id ON public.reading_progress USING btree (book_id);


--
-- Name: ix_reading_progress_id; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX ix_reading_progress_id ON public.reading_progress USING btree (id);


--
-- Name: ix_reading_progress_user_id; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX ix_reading_progress_user_id ON public.reading_progress USING btree (user_id);


--
-- Name: ix_reading_sessions_book_id; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX ix_reading_sessions_book_id ON public.reading_sessions USING btree (book_id);


--
-- Name: ix_reading_sessions_id; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX ix_reading_sessions_id ON public.reading_sessions USING btree (id);


--
-- Name: ix_reading_sessions_user_id; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX ix_reading_sessions_user_id ON public.reading_sessions USING btree (user_id);


--
-- Name: ix_subscriptions_id; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX ix_subscriptions_id ON public.subscriptions USING btree (id);


--
-- Name: ix_subscriptions_user_id; Type: INDEX; Schema: public; Owner: postgres
--

CREATE UNIQUE INDEX ix_subscriptions_user_id ON public.subscriptions USING btree (user_id);


--
-- Name: ix_users_email; Type: INDEX; Schema: public; Owner: postgres
--

CREATE UNIQUE INDEX ix_users_email ON public.users USING btree (email);


--
-- Name: ix_users_id; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX ix_users_id ON public.users USING btree (id);


--
-- Name: books books_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.books
    ADD CONSTRAINT books_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: chapters chapters_book_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.chapters
    ADD CONSTRAINT chapters_book_id_fkey FOREIGN KEY (book_id) REFERENCES public.books(id) ON DELETE CASCADE;


--
-- Name: descriptions descriptions_chapter_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.descriptions
    ADD CONSTRAINT descriptions_chapter_id_fkey FOREIGN KEY (chapter_id) REFERENCES public.chapters(id) ON DELETE CASCADE;


--
-- Name: generated_images generated_images_description_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.generated_images
    ADD CONSTRAINT generated_images_description_id_fkey FOREIGN KEY (description_id) REFERENCES public.descriptions(id) ON DELETE CASCADE;


--
-- Name: generated_images generated_images_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.generated_images
    ADD CONSTRAINT generated_images_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: reading_progress reading_progress_book_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.reading_progress
    ADD CONSTRAINT reading_progress_book_id_fkey FOREIGN KEY (book_id) REFERENCES public.books(id) ON DELETE CASCADE;


--
-- Name: reading_progress reading_progress_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.reading_progress
    ADD CONSTRAINT reading_progress_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: reading_sessions reading_sessions_book_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.reading_sessions
    ADD CONSTRAINT reading_sessions_book_id_fkey FOREIGN KEY (book_id) REFERENCES public.books(id) ON DELETE CASCADE;


--
-- Name: reading_sessions reading_sessions_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.reading_sessions
    ADD CONSTRAINT reading_sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: subscriptions subscriptions_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.subscriptions
    ADD CONSTRAINT subscriptions_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- PostgreSQL database dump complete
--


