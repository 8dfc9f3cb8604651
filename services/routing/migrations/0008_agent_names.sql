-- Agents' names, for the assignment reasons people read in the history ("anna 1/3"),
-- from every UserUpserted, whether it arrives before or after the agent's profile.
CREATE TABLE user_names (
    user_id uuid PRIMARY KEY,
    display_name text NOT NULL
);
ALTER TABLE agents ADD COLUMN display_name text NOT NULL DEFAULT '';
