-- The child's profile: service data about the child that the engine never
-- reads (description, phones, online identity, family, trigger plan). Each
-- change is a new version naming who made it, when, and which fields changed;
-- the current profile is the highest version.
CREATE TABLE profile_versions (
    child_id TEXT NOT NULL REFERENCES children (id),
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    changed_fields TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_agency TEXT NOT NULL,
    changed_at INTEGER NOT NULL,
    PRIMARY KEY (child_id, version)
);

-- Photographs of the child, kept in the database (every instance serves
-- them), with the date taken and the consents the protocols ask for.
CREATE TABLE child_photos (
    id TEXT PRIMARY KEY,
    child_id TEXT NOT NULL REFERENCES children (id),
    content_type TEXT NOT NULL,
    bytes BLOB NOT NULL,
    taken_on TEXT NOT NULL,
    consent_investigation INTEGER NOT NULL,
    consent_media INTEGER NOT NULL,
    child_agreed INTEGER NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_agency TEXT NOT NULL,
    uploaded_at INTEGER NOT NULL
);
CREATE INDEX child_photos_child ON child_photos (child_id, uploaded_at);

-- People and places that matter when a child goes missing, records of their
-- own so that the children who go missing with the same adult, or to the
-- same address, are linked.
CREATE TABLE associates (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    markers TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_agency TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE places (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    postcode TEXT NOT NULL,
    kind TEXT NOT NULL,
    description TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_agency TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE child_associates (
    child_id TEXT NOT NULL REFERENCES children (id),
    associate_id TEXT NOT NULL REFERENCES associates (id),
    reason TEXT NOT NULL,
    linked_by TEXT NOT NULL,
    linked_agency TEXT NOT NULL,
    linked_at INTEGER NOT NULL,
    PRIMARY KEY (child_id, associate_id)
);
CREATE INDEX child_associates_associate ON child_associates (associate_id);

CREATE TABLE child_places (
    child_id TEXT NOT NULL REFERENCES children (id),
    place_id TEXT NOT NULL REFERENCES places (id),
    reason TEXT NOT NULL,
    linked_by TEXT NOT NULL,
    linked_agency TEXT NOT NULL,
    linked_at INTEGER NOT NULL,
    PRIMARY KEY (child_id, place_id)
);
CREATE INDEX child_places_place ON child_places (place_id);
