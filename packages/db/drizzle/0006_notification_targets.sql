CREATE TABLE `notification_targets` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`url` text NOT NULL,
	`label` text,
	`secret` text,
	`chat_id` text,
	`events` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`language` text DEFAULT 'zh' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`last_sent_at` integer,
	`last_error` text,
	`last_error_at` integer
);
