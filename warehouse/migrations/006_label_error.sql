-- owingest warehouse, version 6: why an item has no labels.

-- An item the classifier could not label is stored all the same, with the reason here
-- (the model file is missing or corrupt, the item has no text, the model raised); its label
-- columns stay NULL until a run or `owingest reclassify` labels it. NULL once labeled.
ALTER TABLE items ADD COLUMN label_error VARCHAR;
