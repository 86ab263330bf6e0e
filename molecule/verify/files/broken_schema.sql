-- A schema source that fails half-way: the scratch database must still be
-- dropped and the verified database left as it was.
CREATE TYPE subscriptionplan AS ENUM ('FREE', 'PREMIUM', 'ULTIMATE');
CREATE TABLE users (id uuid PRIMARY KEY DEFAULT uuid_generate_v4());
CREATE TABLE users (id uuid PRIMARY KEY);
