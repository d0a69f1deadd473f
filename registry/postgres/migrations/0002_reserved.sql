-- Placeholder on branch confluent: migration 0002 belongs to another change
-- being merged in parallel; the integrator replaces this file with it.
SELECT 1;
