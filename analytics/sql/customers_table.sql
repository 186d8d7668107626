-- A dataset's customers: the dense key the events carry (1.. in customer_id order) and the id
-- as the file wrote it. From the temp table customer_keys (made by the ingest).
SELECT customer_key, customer_id FROM customer_keys ORDER BY customer_key
