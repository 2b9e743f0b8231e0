-- Whether a duty's deadline is the document's (`protocol`) or a reading
-- (`reading`: the protocol sets no timescale, or its words were read as one).
-- Rows written before this column are NULL until their child is evaluated again.
ALTER TABLE duties ADD COLUMN due_set_by TEXT;
-- Prompts waiting to be considered, listed apart from firm duties.
CREATE INDEX duties_to_consider ON duties (due, id) WHERE state = 'to_consider';
