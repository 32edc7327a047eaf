import type { IAuthenticateGeneric, ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * The hub URL and an automation API key, sent as a bearer token.
 * Tested by posHubApiTest (nodes/shared/credentialTest.ts, named in the nodes' `testedBy`) against
 * GET /v1/me: there is deliberately no declarative `test` here, since n8n would use it instead.
 */
export class PosHubApi implements ICredentialType {
	name = 'posHubApi';

	displayName = 'POS Hub API';

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-pos-hub';

	properties: INodeProperties[] = [
		{
			displayName: 'Hub URL',
			name: 'hubUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'https://hub.example.com',
			description: 'The web address of your POS Hub, as your hub administrator gave it to you',
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'An API key with the automation scope, created in your hub (shown only once when created)',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: { Authorization: '=Bearer {{$credentials.apiKey}}' },
		},
	};
}
