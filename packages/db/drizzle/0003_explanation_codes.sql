ALTER TABLE `egresses` ADD `state_explanation` text;--> statement-breakpoint
ALTER TABLE `key_events` ADD `explanation` text;--> statement-breakpoint
ALTER TABLE `upstream_keys` ADD `last_error_detail` text;