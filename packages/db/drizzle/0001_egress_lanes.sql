CREATE TABLE `egresses` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`scheme` text NOT NULL,
	`host` text,
	`port` integer,
	`username` text,
	`password` text,
	`local_address` text,
	`identity` text NOT NULL,
	`label` text,
	`enabled` integer DEFAULT true NOT NULL,
	`builtin` integer DEFAULT false NOT NULL,
	`from_env` integer DEFAULT false NOT NULL,
	`state` text DEFAULT 'up' NOT NULL,
	`state_reason` text,
	`blocked_until` integer,
	`failures` integer DEFAULT 0 NOT NULL,
	`retry_at` integer,
	`guard_key_id` integer,
	`guard_used_at` integer,
	`guard_switch_at` integer,
	`request_count` integer DEFAULT 0 NOT NULL,
	`error_count` integer DEFAULT 0 NOT NULL,
	`last_used_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `egresses_identity_unique` ON `egresses` (`identity`);--> statement-breakpoint
ALTER TABLE `request_logs` ADD `egress_id` integer;--> statement-breakpoint
ALTER TABLE `request_logs` ADD `client_ip` text;--> statement-breakpoint
CREATE INDEX `request_logs_egress_time_idx` ON `request_logs` (`egress_id`,`time`);--> statement-breakpoint
ALTER TABLE `upstream_keys` ADD `egress_id` integer;--> statement-breakpoint
ALTER TABLE `upstream_keys` ADD `egress_used_at` integer;