CREATE TABLE `client_keys` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`key_hash` text NOT NULL,
	`prefix` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`request_count` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `client_keys_key_hash_unique` ON `client_keys` (`key_hash`);--> statement-breakpoint
CREATE TABLE `key_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`time` integer NOT NULL,
	`key_id` integer,
	`type` text NOT NULL,
	`from_status` text,
	`to_status` text,
	`reason` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `key_events_time_idx` ON `key_events` (`time`);--> statement-breakpoint
CREATE INDEX `key_events_key_idx` ON `key_events` (`key_id`,`time`);--> statement-breakpoint
CREATE TABLE `request_logs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`time` integer NOT NULL,
	`request_id` text NOT NULL,
	`client_key_id` integer,
	`upstream_key_id` integer,
	`method` text NOT NULL,
	`path` text NOT NULL,
	`model` text,
	`stream` integer DEFAULT false NOT NULL,
	`status` integer NOT NULL,
	`upstream_status` integer,
	`attempts` integer DEFAULT 0 NOT NULL,
	`queue_wait_ms` integer,
	`ttfb_ms` integer,
	`duration_ms` integer NOT NULL,
	`prompt_tokens` integer,
	`completion_tokens` integer,
	`total_tokens` integer,
	`error_type` text,
	`error_message` text
);
--> statement-breakpoint
CREATE INDEX `request_logs_time_idx` ON `request_logs` (`time`);--> statement-breakpoint
CREATE INDEX `request_logs_key_time_idx` ON `request_logs` (`upstream_key_id`,`time`);--> statement-breakpoint
CREATE INDEX `request_logs_status_idx` ON `request_logs` (`status`);--> statement-breakpoint
CREATE INDEX `request_logs_model_idx` ON `request_logs` (`model`);--> statement-breakpoint
CREATE TABLE `settings` (
	`name` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `upstream_keys` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`secret` text NOT NULL,
	`fingerprint` text NOT NULL,
	`masked_key` text NOT NULL,
	`label` text,
	`status` text DEFAULT 'active' NOT NULL,
	`balance` real,
	`balance_checked_at` integer,
	`call_count` integer DEFAULT 0 NOT NULL,
	`error_count` integer DEFAULT 0 NOT NULL,
	`consecutive_errors` integer DEFAULT 0 NOT NULL,
	`rate_limit_strikes` integer DEFAULT 0 NOT NULL,
	`successes_since_check` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`last_used_at` integer,
	`cooldown_until` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `upstream_keys_fingerprint_unique` ON `upstream_keys` (`fingerprint`);--> statement-breakpoint
CREATE INDEX `upstream_keys_status_idx` ON `upstream_keys` (`status`);